package dev.robustmemory.testing;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A FUSE file system that passes every operation through to a directory: a real FUSE mount, as sshfs or a cloud
 * drive would be, made with nothing but the kernel's /dev/fuse, mount(2) and this class (no libfuse, no fusermount).
 * It speaks the kernel's FUSE protocol itself, enough of it for the lock file, DuckDB and the journal. Record locks
 * are left to the kernel (FUSE_POSIX_LOCKS is not offered), which then keeps them local to this host.
 *
 * <p>Run as a separate JVM ({@link FuseMount}): a process reading a file of a FUSE mount that it serves itself can
 * deadlock on its own page faults. Arguments: backing directory, mount point. It prints {@code MOUNTED} once the
 * mount is up, or {@code UNAVAILABLE <why>} when this machine cannot mount (not root, no /dev/fuse), and unmounts and
 * exits when its standard input closes. Needs CAP_SYS_ADMIN (root).
 */
public final class PassThroughFuse {

    static final String MOUNTED = "MOUNTED";
    static final String UNAVAILABLE = "UNAVAILABLE ";
    static final String TYPE = "fuse.passthrough";

    private static final int HEADER_IN = 40;
    private static final int HEADER_OUT = 16;
    private static final int MAX_WRITE = 128 * 1024;
    private static final long ROOT = 1;
    private static final int ENOSYS = 38;
    private static final int EIO = 5;
    private static final int EEXIST = 17;
    private static final int ENOTDIR = 20;
    private static final int EISDIR = 21;
    private static final int EINVAL = 22;
    private static final int ENOTEMPTY = 39;

    // Opcodes of the kernel's FUSE protocol (include/uapi/linux/fuse.h).
    private static final int LOOKUP = 1, FORGET = 2, GETATTR = 3, SETATTR = 4, MKNOD = 8, MKDIR = 9, UNLINK = 10,
            RMDIR = 11, RENAME = 12, OPEN = 14, READ = 15, WRITE = 16, STATFS = 17, RELEASE = 18, FSYNC = 20,
            FLUSH = 25, INIT = 26, OPENDIR = 27, READDIR = 28, RELEASEDIR = 29, FSYNCDIR = 30, ACCESS = 34,
            CREATE = 35, INTERRUPT = 36, DESTROY = 38, BATCH_FORGET = 42, RENAME2 = 45;

    private final int device;
    private final Path backing;
    private final Map<Long, Path> nodes = new HashMap<>();
    private final Map<Path, Long> nodeOfPath = new HashMap<>();
    private final Map<Long, FileChannel> openFiles = new HashMap<>();
    private final Map<Long, List<Path>> openDirectories = new HashMap<>();
    private long lastNode = ROOT;
    private long lastHandle;

    private PassThroughFuse(int device, Path backing) {
        this.device = device;
        this.backing = backing;
        nodes.put(ROOT, backing);
        nodeOfPath.put(backing, ROOT);
    }

    public static void main(String[] args) throws Exception {
        Path backing = Path.of(args[0]).toRealPath();
        String mountPoint = Path.of(args[1]).toRealPath().toString();
        int device;
        try {
            device = Libc.C.open("/dev/fuse", Libc.O_RDWR);
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            Object gid = Files.getAttribute(Path.of("/proc/self"), "unix:gid");
            Libc.C.mount("robustmemory-test", mountPoint, TYPE, new NativeLong(Libc.MS_NOSUID | Libc.MS_NODEV),
                    "fd=" + device + ",rootmode=40000,user_id=" + uid + ",group_id=" + gid + ",default_permissions");
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            System.out.println(UNAVAILABLE + "cannot mount a FUSE file system here: " + e.getMessage());
            return;
        }
        Thread server = new Thread(() -> new PassThroughFuse(device, backing).serve(), "fuse-server");
        server.setDaemon(true);
        server.start();
        System.out.println(MOUNTED);
        while (System.in.read() >= 0) {
            // until the test closes our input, or dies
        }
        Libc.C.umount2(mountPoint, Libc.MNT_DETACH);
        System.exit(0);
    }

    private void serve() {
        Memory buffer = new Memory(HEADER_IN + 4096 + MAX_WRITE);
        ByteBuffer reply = ByteBuffer.allocate(HEADER_OUT + MAX_WRITE + 4096).order(ByteOrder.LITTLE_ENDIAN);
        while (true) {
            int length;
            try {
                length = Libc.C.read(device, buffer, new NativeLong(buffer.size())).intValue();
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Libc.ENOENT || e.getErrorCode() == Libc.EINTR
                    || e.getErrorCode() == Libc.EAGAIN) {
                    continue; // a request withdrawn before we read it
                }
                return; // ENODEV: unmounted
            }
            ByteBuffer request = buffer.getByteBuffer(0, length).order(ByteOrder.LITTLE_ENDIAN);
            int opcode = request.getInt(4);
            long unique = request.getLong(8);
            long node = request.getLong(16);
            request.position(HEADER_IN);
            reply.clear().position(HEADER_OUT);
            int error;
            try {
                error = handle(opcode, node, request, reply);
            } catch (NoSuchFileException e) {
                error = Libc.ENOENT;
            } catch (FileAlreadyExistsException e) {
                error = EEXIST;
            } catch (DirectoryNotEmptyException e) {
                error = ENOTEMPTY;
            } catch (NotDirectoryException e) {
                error = ENOTDIR;
            } catch (IOException | RuntimeException e) {
                error = EIO;
            }
            if (error < 0) {
                continue; // FORGET and INTERRUPT get no reply
            }
            int replyLength = error == 0 ? reply.position() : HEADER_OUT;
            reply.putInt(0, replyLength).putInt(4, -error).putLong(8, unique);
            try {
                Libc.C.write(device, reply.array(), new NativeLong(replyLength));
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Libc.ENODEV) {
                    return;
                }
                // ENOENT: the request was interrupted meanwhile; nobody waits for this reply
            }
        }
    }

    /** Handles one request; returns 0 with the reply's body written, an errno, or -1 for no reply at all. */
    private int handle(int opcode, long node, ByteBuffer in, ByteBuffer out) throws IOException {
        switch (opcode) {
            case INIT -> {
                int major = in.getInt();
                int minor = in.getInt();
                int maxReadahead = in.getInt();
                if (major < 7) {
                    return EINVAL;
                }
                // 7.31 is old enough that every kernel since 5.4 speaks it and new enough for all used here.
                out.putInt(7).putInt(Math.min(minor, 31)).putInt(maxReadahead).putInt(1 << 5) // FUSE_BIG_WRITES
                        .putShort((short) 12).putShort((short) 10).putInt(MAX_WRITE).putInt(1) // time_gran 1 ns
                        .putShort((short) 0).putShort((short) 0).putInt(0).put(new byte[28]);
                return 0;
            }
            case DESTROY -> {
                return 0;
            }
            case FORGET, BATCH_FORGET, INTERRUPT -> {
                return -1; // nodes are kept for the life of this test file system
            }
            case LOOKUP -> {
                return entry(child(node, name(in)), out);
            }
            case GETATTR -> {
                attributesReply(path(node), out);
                return 0;
            }
            case SETATTR -> {
                setAttributes(path(node), in);
                attributesReply(path(node), out);
                return 0;
            }
            case MKNOD -> {
                int mode = in.getInt();
                in.getInt();
                int umask = in.getInt();
                in.getInt();
                if ((mode & 0170000) != 0100000) {
                    return ENOSYS; // regular files only
                }
                Path file = child(node, name(in));
                Files.createFile(file);
                chmod(file, mode & ~umask);
                return entry(file, out);
            }
            case MKDIR -> {
                int mode = in.getInt();
                int umask = in.getInt();
                Path directory = child(node, name(in));
                Files.createDirectory(directory);
                chmod(directory, mode & ~umask);
                return entry(directory, out);
            }
            case UNLINK -> {
                Path file = child(node, name(in));
                if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                    return EISDIR;
                }
                Files.delete(file); // open handles stay valid, as on any POSIX file system
                return 0;
            }
            case RMDIR -> {
                Files.delete(child(node, name(in)));
                return 0;
            }
            case RENAME, RENAME2 -> {
                long newParent = in.getLong();
                int flags = 0;
                if (opcode == RENAME2) {
                    flags = in.getInt();
                    in.getInt();
                }
                if ((flags & ~1) != 0) {
                    return EINVAL; // only RENAME_NOREPLACE
                }
                String[] names = names(in, 2);
                Path from = child(node, names[0]);
                Path to = path(newParent).resolve(names[1]);
                if ((flags & 1) != 0) {
                    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
                } else {
                    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                renamed(from, to);
                return 0;
            }
            case OPEN -> {
                int flags = in.getInt();
                openReply(FileChannel.open(path(node), openOptions(flags, false)), out);
                return 0;
            }
            case CREATE -> {
                int flags = in.getInt();
                int mode = in.getInt();
                int umask = in.getInt();
                in.getInt();
                Path file = child(node, name(in));
                boolean created = !Files.exists(file, LinkOption.NOFOLLOW_LINKS);
                FileChannel channel = FileChannel.open(file, openOptions(flags, true));
                if (created) {
                    chmod(file, mode & ~umask);
                }
                entry(file, out);
                openReply(channel, out);
                return 0;
            }
            case READ -> {
                FileChannel channel = openFiles.get(in.getLong());
                long offset = in.getLong();
                int size = Math.min(in.getInt(), out.remaining());
                ByteBuffer data = out.slice().limit(size);
                while (data.hasRemaining() && channel.read(data, offset + data.position()) > 0) {
                    // until the size asked for or the end of the file
                }
                out.position(out.position() + data.position());
                return 0;
            }
            case WRITE -> {
                FileChannel channel = openFiles.get(in.getLong());
                long offset = in.getLong();
                int size = in.getInt();
                in.position(HEADER_IN + 40); // past the rest of fuse_write_in
                ByteBuffer data = in.slice().limit(size);
                while (data.hasRemaining()) {
                    channel.write(data, offset + data.position());
                }
                out.putInt(size).putInt(0);
                return 0;
            }
            case FLUSH, ACCESS, FSYNCDIR -> {
                return 0;
            }
            case FSYNC -> {
                FileChannel channel = openFiles.get(in.getLong());
                if (channel != null) {
                    channel.force(true);
                }
                return 0;
            }
            case RELEASE -> {
                FileChannel channel = openFiles.remove(in.getLong());
                if (channel != null) {
                    channel.close();
                }
                return 0;
            }
            case OPENDIR -> {
                List<Path> entries = new ArrayList<>();
                try (Stream<Path> listing = Files.list(path(node))) {
                    listing.sorted().forEach(entries::add);
                }
                openDirectories.put(++lastHandle, entries);
                out.putLong(lastHandle).putInt(0).putInt(0);
                return 0;
            }
            case READDIR -> {
                List<Path> entries = openDirectories.get(in.getLong());
                long offset = in.getLong();
                int size = in.getInt();
                int end = out.position() + Math.min(size, out.remaining());
                for (int i = (int) offset; i < entries.size(); i++) {
                    byte[] name = entries.get(i).getFileName().toString().getBytes(StandardCharsets.UTF_8);
                    int entryLength = (24 + name.length + 7) & ~7;
                    if (out.position() + entryLength > end) {
                        break;
                    }
                    int start = out.position();
                    Map<String, Object> attributes = unixAttributes(entries.get(i));
                    out.putLong((Long) attributes.get("ino")).putLong(i + 1).putInt(name.length)
                            .putInt(((Integer) attributes.get("mode") & 0170000) >> 12).put(name);
                    out.position(start + entryLength);
                }
                return 0;
            }
            case RELEASEDIR -> {
                openDirectories.remove(in.getLong());
                return 0;
            }
            case STATFS -> {
                out.putLong(1 << 20).putLong(1 << 19).putLong(1 << 19).putLong(1 << 20).putLong(1 << 19)
                        .putInt(4096).putInt(255).putInt(4096).putInt(0).put(new byte[24]);
                return 0;
            }
            default -> {
                return ENOSYS; // the kernel then does without (xattrs, fallocate, lseek, ...)
            }
        }
    }

    private Path path(long node) throws NoSuchFileException {
        Path path = nodes.get(node);
        if (path == null) {
            throw new NoSuchFileException("node " + node);
        }
        return path;
    }

    private Path child(long parent, String name) throws NoSuchFileException {
        return path(parent).resolve(name);
    }

    private static String name(ByteBuffer in) {
        return names(in, 1)[0];
    }

    /** The NUL-terminated names that end a request. */
    private static String[] names(ByteBuffer in, int count) {
        String[] names = new String[count];
        for (int i = 0; i < count; i++) {
            int start = in.position();
            while (in.get() != 0) {
                // up to the terminating NUL
            }
            byte[] bytes = new byte[in.position() - 1 - start];
            in.get(start, bytes);
            names[i] = new String(bytes, StandardCharsets.UTF_8);
        }
        return names;
    }

    private int entry(Path path, ByteBuffer out) throws IOException {
        Map<String, Object> attributes = unixAttributes(path); // NoSuchFileException: ENOENT, a negative lookup
        long node = nodeOfPath.computeIfAbsent(path, p -> {
            nodes.put(++lastNode, p);
            return lastNode;
        });
        // Nothing cached (validity 0): the backing directory may change behind the kernel's back in a test.
        out.putLong(node).putLong(0).putLong(0).putLong(0).putInt(0).putInt(0);
        attributes(attributes, node, out);
        return 0;
    }

    private void attributesReply(Path path, ByteBuffer out) throws IOException {
        out.putLong(0).putInt(0).putInt(0);
        attributes(unixAttributes(path), nodeOfPath.getOrDefault(path, ROOT), out);
    }

    private static void attributes(Map<String, Object> a, long node, ByteBuffer out) {
        long size = (Long) a.get("size");
        FileTime atime = (FileTime) a.get("lastAccessTime");
        FileTime mtime = (FileTime) a.get("lastModifiedTime");
        FileTime ctime = (FileTime) a.get("ctime");
        out.putLong(node).putLong(size).putLong((size + 511) / 512)
                .putLong(seconds(atime)).putLong(seconds(mtime)).putLong(seconds(ctime))
                .putInt(nanos(atime)).putInt(nanos(mtime)).putInt(nanos(ctime))
                .putInt((Integer) a.get("mode")).putInt((Integer) a.get("nlink"))
                .putInt((Integer) a.get("uid")).putInt((Integer) a.get("gid")).putInt(0).putInt(4096).putInt(0);
    }

    private static long seconds(FileTime time) {
        return Math.floorDiv(time.toMillis(), 1000);
    }

    private static int nanos(FileTime time) {
        return time.toInstant().getNano();
    }

    private static Map<String, Object> unixAttributes(Path path) throws IOException {
        return Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
    }

    private void setAttributes(Path path, ByteBuffer in) throws IOException {
        int valid = in.getInt();
        in.getInt();
        long handle = in.getLong();
        long size = in.getLong();
        in.getLong(); // lock owner
        long atime = in.getLong();
        long mtime = in.getLong();
        in.getLong(); // ctime
        int atimeNanos = in.getInt();
        int mtimeNanos = in.getInt();
        in.getInt();
        int mode = in.getInt();
        in.getInt();
        int uid = in.getInt();
        int gid = in.getInt();
        if ((valid & 1) != 0) {
            chmod(path, mode);
        }
        if ((valid & 2) != 0) {
            Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        }
        if ((valid & 4) != 0) {
            Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        }
        if ((valid & 8) != 0) {
            FileChannel open = (valid & 64) != 0 ? openFiles.get(handle) : null;
            if (open != null && open.isOpen()) {
                truncateOrExtend(open, size);
            } else {
                try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
                    truncateOrExtend(channel, size);
                }
            }
        }
        FileTime now = FileTime.fromMillis(System.currentTimeMillis());
        FileTime access = (valid & 128) != 0 ? now : (valid & 16) != 0 ? time(atime, atimeNanos) : null;
        FileTime modified = (valid & 256) != 0 ? now : (valid & 32) != 0 ? time(mtime, mtimeNanos) : null;
        if (access != null || modified != null) {
            Files.getFileAttributeView(path, BasicFileAttributeView.class).setTimes(modified, access, null);
        }
    }

    private static void truncateOrExtend(FileChannel channel, long size) throws IOException {
        if (size < channel.size()) {
            channel.truncate(size);
        } else if (size > channel.size()) {
            channel.write(ByteBuffer.allocate(1), size - 1); // a hole up to the new end, as ftruncate makes
        }
    }

    private static FileTime time(long seconds, int nanos) {
        return FileTime.from(java.time.Instant.ofEpochSecond(seconds, nanos));
    }

    private static void chmod(Path path, int mode) throws IOException {
        Files.setAttribute(path, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
    }

    private static Set<OpenOption> openOptions(int flags, boolean create) {
        Set<OpenOption> options = new HashSet<>();
        int access = flags & 3;
        options.add(StandardOpenOption.READ); // the page cache reads whole pages, even of a file opened write-only
        if (access != 0) {
            options.add(StandardOpenOption.WRITE);
        }
        if ((flags & 01000) != 0) {
            options.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        if (create) {
            options.add((flags & 0200) != 0 ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
            options.add(StandardOpenOption.WRITE);
        }
        return options;
    }

    private void openReply(FileChannel channel, ByteBuffer out) {
        openFiles.put(++lastHandle, channel);
        out.putLong(lastHandle).putInt(0).putInt(0);
    }

    private void renamed(Path from, Path to) {
        Map<Long, Path> moved = new HashMap<>();
        nodes.forEach((node, path) -> {
            if (path.startsWith(from)) {
                moved.put(node, to.resolve(from.relativize(path)));
            }
        });
        moved.forEach((node, path) -> {
            nodeOfPath.remove(nodes.get(node));
            nodes.put(node, path);
            nodeOfPath.put(path, node);
        });
    }
}
