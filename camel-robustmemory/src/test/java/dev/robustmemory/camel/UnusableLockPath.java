package dev.robustmemory.camel;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fault injection on the real file system: the lock file is replaced by a directory, so the next acquisition fails
 * with a LockException (not a timeout) and the health check sees an unusable lock path; closing puts a usable path
 * back (the lock re-creates the file on its next use). Use it only while nothing in this JVM holds the lock, so that
 * no lock is dropped by removing the file.
 */
final class UnusableLockPath implements AutoCloseable {

    private final Path lockFile;

    UnusableLockPath(Path lockFile) throws Exception {
        this.lockFile = lockFile;
        Files.delete(lockFile);
        Files.createDirectory(lockFile);
    }

    @Override
    public void close() throws Exception {
        Files.delete(lockFile);
    }
}
