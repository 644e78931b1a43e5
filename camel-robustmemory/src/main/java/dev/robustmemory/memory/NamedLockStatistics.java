package dev.robustmemory.memory;

/**
 * Totals of one JVM's use of one names lock file since it was opened ({@link NamedLocks#statistics()}), the raw
 * material for metrics; durations are in nanoseconds of the monotonic clock.
 *
 * @param grants         names granted
 * @param timeouts       acquisitions that gave up ({@link NamedLockTimeoutException})
 * @param heldNow        grants held right now by this JVM
 * @param waitingNow     acquisitions of this JVM under way right now
 * @param totalWaitNanos the waits of all grants, summed
 * @param maxWaitNanos   the longest wait of a grant
 * @param totalHoldNanos the holding times of all released grants, summed
 * @param maxHoldNanos   the longest holding time of a released grant
 */
public record NamedLockStatistics(long grants, long timeouts, int heldNow, int waitingNow, long totalWaitNanos,
                                  long maxWaitNanos, long totalHoldNanos, long maxHoldNanos) {
}
