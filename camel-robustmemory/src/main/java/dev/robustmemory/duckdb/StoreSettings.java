package dev.robustmemory.duckdb;

import dev.robustmemory.duckdb.lock.LockFileSettings;

import java.nio.file.Path;

/**
 * Where a memory lives and how its files are guarded.
 *
 * @param database         the DuckDB database file
 * @param lockFile         the sidecar lock file; never the database file itself, on which DuckDB holds its own lock
 * @param lockFileSettings permissions for created files (database and lock) and the network file system policy
 * @param maxValueSize     the largest value accepted, in bytes (UTF-8 bytes for text)
 */
public record StoreSettings(Path database, Path lockFile, LockFileSettings lockFileSettings, long maxValueSize) {

    public static final long DEFAULT_MAX_VALUE_SIZE = 16L * 1024 * 1024;

    /** The defaults for a database: lock file {@code <database>.lock}, owner-only files, 16 MiB values. */
    public static StoreSettings of(Path database) {
        return new StoreSettings(database, defaultLockFile(database), LockFileSettings.defaults(),
                DEFAULT_MAX_VALUE_SIZE);
    }

    public static Path defaultLockFile(Path database) {
        return database.resolveSibling(database.getFileName() + ".lock");
    }
}
