package dev.robustmemory.duckdb.lock;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * How a lock file is created and which file systems are acceptable.
 *
 * @param filePermissions        permissions of a lock file this process creates (not applied to an existing one)
 * @param allowNetworkFileSystem whether to accept a lock file on a network or FUSE file system, where record locks
 *                               may be granted twice
 */
public record LockFileSettings(Set<PosixFilePermission> filePermissions, boolean allowNetworkFileSystem) {

    public static final String DEFAULT_PERMISSIONS = "rw-------";

    public LockFileSettings {
        filePermissions = Set.copyOf(filePermissions);
    }

    public static LockFileSettings defaults() {
        return new LockFileSettings(PosixFilePermissions.fromString(DEFAULT_PERMISSIONS), false);
    }
}
