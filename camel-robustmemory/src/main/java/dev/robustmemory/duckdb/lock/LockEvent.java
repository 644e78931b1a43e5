package dev.robustmemory.duckdb.lock;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Something an inspection of a lock file (or an acquisition) found worth telling an operator.
 *
 * @param type       what was found
 * @param lockFile   the lock file
 * @param record     the owner record as found (absent only for {@link Type#CORRUPT} repairs of an empty slot)
 * @param heldFor    how long the named holder had held the lock when found, by the wall clock (null if unknown)
 * @param cleaned    whether the lock file was brought back to a clean state (record marked recovered or rewritten)
 * @param detectedAt when it was found
 */
public record LockEvent(Type type, Path lockFile, OwnerRecordReading record, Duration heldFor, boolean cleaned,
        Instant detectedAt) {

    public enum Type {
        /** The record names a holder that provably died holding the lock, and the lock is free. */
        ORPHANED,
        /** A live holder has held the lock longer than the stale threshold. Reported only: never broken. */
        STALE,
        /** The owner record is unreadable while the lock is free. */
        CORRUPT,
        /** The record names a holder on another host: nothing about it can be judged from here. */
        FOREIGN_HOST
    }
}
