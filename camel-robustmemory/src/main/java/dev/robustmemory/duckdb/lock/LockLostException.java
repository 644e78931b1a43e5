package dev.robustmemory.duckdb.lock;

import java.nio.file.Path;

/**
 * A grant that was held is no longer valid (the channel was closed, or the lock file at the path was deleted or
 * replaced by someone). Whatever was about to be written under it must be abandoned.
 */
public class LockLostException extends LockException {

    public LockLostException(Path lockFile, String why) {
        super(lockFile, "Lock lost: " + why);
    }
}
