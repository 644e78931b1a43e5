package dev.robustmemory.store;

import dev.robustmemory.lock.OwnerRecordReading;

/**
 * What a piece of work returned, and what it cost under the lock.
 *
 * @param fencingToken       the token of the grant the work ran under
 * @param waitNanos          time spent waiting for the lock (monotonic clock)
 * @param holdNanos          time the lock was held for this work (monotonic clock)
 * @param previousRecord     the owner record found in the lock file when the grant was obtained
 * @param previousHolderDied whether that record belonged to a holder that died holding the lock
 */
public record Outcome<T>(T result, long fencingToken, long waitNanos, long holdNanos,
        OwnerRecordReading previousRecord, boolean previousHolderDied) {
}
