package dev.robustmemory.camel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.memory.FencedWriteException;
import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.NonNumericValueException;
import dev.robustmemory.memory.VersionConflictException;
import dev.robustmemory.postgresql.PostgresLockTimeoutException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * Running lock totals of one memory (one database), shared by every producer and consumer of that database in one
 * component, and the Micrometer meters that show them. Counters are {@link LongAdder}s and durations come from the
 * monotonic clock, so any number of threads may record at once.
 *
 * <p><b>What counts.</b> Every lock request of a monitoring producer counts exactly once, as one of:
 * <ul>
 * <li><em>acquisition</em>: the lock was granted. This includes operations whose work then ended in a domain outcome
 * (a version conflict, a write refused by its fence, a non-numeric value, an invalid entry), since those happened with the lock held; the
 * {@code outcome} tag of {@code robustmemory.operations} says which;</li>
 * <li><em>timeout</em>: {@link LockTimeoutException} (PostgreSQL: {@link PostgresLockTimeoutException}), the lock
 * (the memory's token row) stayed held by someone else for the whole timeout;</li>
 * <li><em>failure</em>: any other error: lock or I/O errors, a lost lock, a database that cannot be opened or
 * written.</li>
 * </ul>
 * A wait that was interrupted (the route is shutting down) says nothing about the lock and is not counted; neither
 * is a message refused before the lock is requested (a missing key, a value too large, a bad header).
 *
 * <p><b>Derived values.</b> Success rate = acquisitions / (acquisitions + failures + timeouts), so 2 acquisitions, 1
 * failure and 1 timeout give 0.5; it is undefined (and not reported) before the first request. Average and maximum
 * wait are over the waits of the acquisitions whose operation completed (the store reports wait times with
 * results; a domain outcome is counted as an acquisition but its wait is not known), since the component started:
 * there is no sliding window; hold times likewise. The totals restart when the component (normally: the Camel
 * context) restarts, and when an operator {@link #reset resets} them.
 *
 * <p><b>Reset.</b> {@link #reset} moves the starting point of the totals that the headers, the health check, JMX and
 * the dev console show; the Micrometer counters keep counting from the start, since a counter that went down would
 * read as a process restart. An operation that completes while the reset runs may be counted on either side of it.
 *
 * <p><b>Orphans cleaned</b> counts dead holders' records that were recovered: by a producer's acquisition taking
 * over from a dead holder, by the consumer's or the cleanup operation's inspection, and when the memory was opened.
 */
final class LockStatistics {

    /** Outcome tag values of the {@code robustmemory.operations} timer. */
    static final String SUCCESS = "success";
    static final String TIMEOUT = "timeout";
    static final String FAILURE = "failure";

    private static final double NANOS_PER_MILLI = TimeUnit.MILLISECONDS.toNanos(1);
    private static final double[] PERCENTILES = { 0.5, 0.95, 0.99 };

    private final LongAdder acquisitions = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder orphansCleaned = new LongAdder();
    private final LongAdder measuredWaits = new LongAdder();
    private final LongAdder totalWaitNanos = new LongAdder();
    private final LongAccumulator maxWaitNanos = new LongAccumulator(Math::max, 0);
    private final LongAdder totalHoldNanos = new LongAdder();
    private final LongAccumulator maxHoldNanos = new LongAccumulator(Math::max, 0);
    /** The raw totals when the statistics were last reset; what {@link #snapshot} subtracts. */
    private volatile Totals resetPoint = new Totals(0, 0, 0, 0, 0, 0, 0, Instant.now());
    private volatile LastFailure lastFailure;
    /** Whether the latest lock request (or opening the memory) failed; a success or a timeout clears it. */
    private volatile boolean failing;

    // Set once by bindMeters; guarded by "this" for writing, read without locking afterwards.
    private volatile Meters meters;

    /** A failure and when it happened. */
    record LastFailure(String message, Instant at) {
    }

    /** The totals at one moment since {@code since} (the start or the latest reset), as headers and JMX show them. */
    record Snapshot(long acquisitions, long failures, long timeouts, long orphansCleaned, double avgWaitMillis,
            double maxWaitMillis, double avgHoldMillis, double maxHoldMillis, Instant since) {

        long requests() {
            return acquisitions + failures + timeouts;
        }

        /** acquisitions / (acquisitions + failures + timeouts); NaN before the first request. */
        double successRate() {
            return requests() == 0 ? Double.NaN : (double) acquisitions / requests();
        }
    }

    /** The raw counts at one moment, from the start. */
    private record Totals(long acquisitions, long failures, long timeouts, long orphansCleaned, long measuredWaits,
            long waitNanos, long holdNanos, Instant at) {
    }

    /**
     * Registers this memory's meters, once; later calls do nothing. Counters are views of the totals here, so they
     * agree with the headers until an operator {@link #reset resets} the statistics.
     *
     * @param lock the DuckDB memory's file lock, whose waiters a gauge counts; null on PostgreSQL
     */
    synchronized void bindMeters(MeterRegistry registry, Tags tags, CrossProcessLock lock) {
        if (meters == null) {
            meters = new Meters(registry, tags, lock);
        }
    }

    /** Removes the meters registered by {@link #bindMeters}, so that a stopped component leaves none behind. */
    synchronized void unbindMeters() {
        if (meters != null) {
            meters.remove();
            meters = null;
        }
    }

    /** A granted lock whose operation completed; waits and holds come from the store's monotonic clock. */
    void recordCompleted(RobustMemoryOperation operation, long waitNanos, long holdNanos, long elapsedNanos) {
        acquisitions.increment();
        measuredWaits.increment();
        totalWaitNanos.add(waitNanos);
        maxWaitNanos.accumulate(waitNanos);
        totalHoldNanos.add(holdNanos);
        maxHoldNanos.accumulate(holdNanos);
        failing = false;
        Meters current = meters;
        if (current != null) {
            current.wait.record(waitNanos, TimeUnit.NANOSECONDS);
            current.hold.record(holdNanos, TimeUnit.NANOSECONDS);
            current.operation(operation, SUCCESS).record(elapsedNanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * A lock request that ended with an exception, classified by the rules in the class description.
     *
     * @return the outcome tag it was counted under
     */
    String recordFailed(RobustMemoryOperation operation, Exception error, long elapsedNanos) {
        String outcome = outcomeOf(error);
        switch (outcome) {
            case TIMEOUT -> {
                timeouts.increment();
                failing = false; // contention: the memory works, someone else is using it
            }
            case FAILURE -> {
                failures.increment();
                recordFailure(error);
            }
            default -> {
                acquisitions.increment();
                failing = false;
            }
        }
        Meters current = meters;
        if (current != null) {
            current.operation(operation, outcome).record(elapsedNanos, TimeUnit.NANOSECONDS);
        }
        return outcome;
    }

    /** The memory could not be opened: not a lock request, but the health check must show it. */
    void recordOpenFailure(Exception error) {
        recordFailure(error);
    }

    void recordOrphanCleaned() {
        orphansCleaned.increment();
    }

    Snapshot snapshot() {
        Totals from = resetPoint;
        Totals now = rawTotals();
        long waits = now.measuredWaits() - from.measuredWaits();
        return new Snapshot(now.acquisitions() - from.acquisitions(), now.failures() - from.failures(),
                now.timeouts() - from.timeouts(), now.orphansCleaned() - from.orphansCleaned(),
                average(now.waitNanos() - from.waitNanos(), waits), millis(maxWaitNanos.get()),
                average(now.holdNanos() - from.holdNanos(), waits), millis(maxHoldNanos.get()), from.at());
    }

    /**
     * Starts the totals again from zero, as an operator asks through JMX; the last failure and the health state stay,
     * since they describe the memory rather than count its use.
     */
    synchronized void reset() {
        resetPoint = rawTotals();
        maxWaitNanos.reset();
        maxHoldNanos.reset();
    }

    LastFailure lastFailure() {
        return lastFailure;
    }

    boolean isFailing() {
        return failing;
    }

    static double millis(long nanos) {
        return nanos / NANOS_PER_MILLI;
    }

    private static double average(long totalNanos, long count) {
        return count == 0 ? 0.0 : totalNanos / NANOS_PER_MILLI / count;
    }

    private Totals rawTotals() {
        return new Totals(acquisitions.sum(), failures.sum(), timeouts.sum(), orphansCleaned.sum(),
                measuredWaits.sum(), totalWaitNanos.sum(), totalHoldNanos.sum(), Instant.now());
    }

    /** The outcome tag of an operation that threw: timeout, failure, or the domain outcome it ended with. */
    static String outcomeOf(Exception error) {
        if (error instanceof LockTimeoutException || error instanceof PostgresLockTimeoutException) {
            return TIMEOUT;
        }
        if (error instanceof VersionConflictException) {
            return "version-conflict";
        }
        if (error instanceof FencedWriteException) {
            return "fenced-write";
        }
        if (error instanceof NonNumericValueException) {
            return "non-numeric-value";
        }
        if (error instanceof InvalidEntryException) {
            return "invalid-entry";
        }
        return FAILURE;
    }

    private void recordFailure(Exception error) {
        lastFailure = new LastFailure(String.valueOf(error), Instant.now());
        failing = true;
    }

    /** The registered meters of one memory. */
    private final class Meters {

        private final MeterRegistry registry;
        private final Tags tags;
        private final Timer wait;
        private final Timer hold;
        private final List<Meter> registered = new ArrayList<>();
        private final Map<String, Timer> operations = new ConcurrentHashMap<>();

        Meters(MeterRegistry registry, Tags tags, CrossProcessLock lock) {
            this.registry = registry;
            this.tags = tags;
            wait = register(Timer.builder("robustmemory.lock.wait")
                    .description("Time spent waiting for the lock, per granted acquisition")
                    .publishPercentiles(PERCENTILES).tags(tags).register(registry));
            hold = register(Timer.builder("robustmemory.lock.hold")
                    .description("Time the lock was held, per completed operation")
                    .publishPercentiles(PERCENTILES).tags(tags).register(registry));
            counter("robustmemory.lock.acquisitions", "Lock requests granted", acquisitions);
            counter("robustmemory.lock.timeouts", "Lock requests that timed out", timeouts);
            counter("robustmemory.lock.failures", "Lock requests that failed for another reason than a timeout",
                    failures);
            counter("robustmemory.lock.orphans", "Records of holders that died holding the lock, recovered",
                    orphansCleaned);
            if (lock != null) { // PostgreSQL's waiters wait in the server, not in a lock of this JVM
                register(Gauge.builder("robustmemory.lock.waiters", lock, CrossProcessLock::waitingThreads)
                        .description("Threads of this JVM waiting for the lock now")
                        .tags(tags).strongReference(true).register(registry));
            }
        }

        Timer operation(RobustMemoryOperation operation, String outcome) {
            return operations.computeIfAbsent(operation.name() + '/' + outcome, key -> register(
                    Timer.builder("robustmemory.operations")
                            .description("Producer operations, by operation and outcome, including the lock wait")
                            .tags(tags).tag("operation", operation.name()).tag("outcome", outcome)
                            .register(registry)));
        }

        void remove() {
            synchronized (registered) {
                registered.forEach(registry::remove);
                registered.clear();
            }
        }

        private void counter(String name, String description, LongAdder total) {
            // A Counter type (FunctionCounter) reading the adder: one source of truth for headers and meters.
            register(FunctionCounter.builder(name, total, LongAdder::sum)
                    .description(description).tags(tags).register(registry));
        }

        private <M extends Meter> M register(M meter) {
            synchronized (registered) {
                registered.add(meter);
            }
            return meter;
        }
    }
}
