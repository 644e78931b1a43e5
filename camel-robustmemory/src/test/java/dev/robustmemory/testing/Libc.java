package dev.robustmemory.testing;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/** The few C library calls a FUSE file system needs and Java lacks: mount(2), and I/O on the /dev/fuse descriptor. */
interface Libc extends Library {

    Libc C = Native.load("c", Libc.class);

    int O_RDWR = 2;
    long MS_NOSUID = 2;
    long MS_NODEV = 4;
    int MNT_DETACH = 2;
    int ENOENT = 2;
    int EINTR = 4;
    int EAGAIN = 11;
    int ENODEV = 19;

    int open(String path, int flags) throws LastErrorException;

    int mount(String source, String target, String type, NativeLong flags, String data) throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    NativeLong read(int fd, Pointer buffer, NativeLong count) throws LastErrorException;

    NativeLong write(int fd, byte[] buffer, NativeLong count) throws LastErrorException;

    int close(int fd) throws LastErrorException;
}
