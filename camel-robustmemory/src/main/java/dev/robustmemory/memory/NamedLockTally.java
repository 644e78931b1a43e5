package dev.robustmemory.memory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * The running totals behind a {@link NamedLockService#statistics()}, safe for any number of threads at once: what
 * each backend's named locks record as acquisitions wait, are granted or time out, and grants end.
 */
public final class NamedLockTally {

    private final AtomicInteger held = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final LongAdder grants = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder totalWaitNanos = new LongAdder();
    private final LongAccumulator maxWaitNanos = new LongAccumulator(Math::max, 0);
    private final LongAdder totalHoldNanos = new LongAdder();
    private final LongAccumulator maxHoldNanos = new LongAccumulator(Math::max, 0);

    /** An acquisition starts waiting; each is followed by one {@link #stoppedWaiting()}. */
    public void startedWaiting() {
        waiting.incrementAndGet();
    }

    public void stoppedWaiting() {
        waiting.decrementAndGet();
    }

    /** A name was granted after waiting this long; each grant is followed by one {@link #ended}. */
    public void granted(long waitNanos) {
        grants.increment();
        totalWaitNanos.add(waitNanos);
        maxWaitNanos.accumulate(waitNanos);
        held.incrementAndGet();
    }

    public void timedOut() {
        timeouts.increment();
    }

    /** A grant is no longer held (released, or lost) after this long. */
    public void ended(long holdNanos) {
        totalHoldNanos.add(holdNanos);
        maxHoldNanos.accumulate(holdNanos);
        held.decrementAndGet();
    }

    public NamedLockStatistics snapshot() {
        return new NamedLockStatistics(grants.sum(), timeouts.sum(), held.get(), waiting.get(),
                totalWaitNanos.sum(), maxWaitNanos.get(), totalHoldNanos.sum(), maxHoldNanos.get());
    }
}
