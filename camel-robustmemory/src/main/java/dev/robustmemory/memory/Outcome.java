package dev.robustmemory.memory;

/**
 * What a piece of work returned, and what it cost under the lock.
 *
 * @param fencingToken the token of the grant the work ran under
 * @param waitNanos    time from the call until the work started under the lock (monotonic clock)
 * @param holdNanos    time the work's batch held the lock, up to its commit (monotonic clock)
 */
public record Outcome<T>(T result, long fencingToken, long waitNanos, long holdNanos) {
}
