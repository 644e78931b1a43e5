package dev.robustmemory.duckdb.lock;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The lock could not be granted or kept for a reason other than plain contention: the lock path is a directory,
 * permission was denied, the disk failed, the file system is not local, or the caller misused the lock.
 */
public class LockException extends IOException {

    private final Path lockFile;

    public LockException(Path lockFile, String message) {
        this(lockFile, message, null);
    }

    public LockException(Path lockFile, String message, Throwable cause) {
        super(message + " [lock file " + lockFile + "]", cause);
        this.lockFile = lockFile;
    }

    public Path lockFile() {
        return lockFile;
    }
}
