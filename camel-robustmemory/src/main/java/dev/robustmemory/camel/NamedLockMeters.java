package dev.robustmemory.camel;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.robustmemory.memory.NamedLockService;
import dev.robustmemory.memory.NamedLockStatistics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * The Micrometer meters of one memory's named locks as the lock policies of one component use them: waits and holds
 * of the grants, timeouts, and how many exchanges hold a name now. Tagged by context and database only: a tag per
 * lock name would grow without bound (one per order id, say).
 */
final class NamedLockMeters {

    private static final double[] PERCENTILES = { 0.5, 0.95, 0.99 };

    private final MeterRegistry registry;
    private final Timer wait;
    private final Timer hold;
    private final Counter timeouts;
    private final AtomicInteger heldNow = new AtomicInteger();
    private final List<Meter> registered;
    /** The named locks the latest started policy opened: this JVM's one instance of the file, for the JMX view. */
    private volatile NamedLockService locks;

    NamedLockMeters(MeterRegistry registry, Tags tags) {
        this.registry = registry;
        wait = Timer.builder("robustmemory.namedlock.wait")
                .description("Time a lock policy waited for its named lock, per grant")
                .publishPercentiles(PERCENTILES).tags(tags).register(registry);
        hold = Timer.builder("robustmemory.namedlock.hold")
                .description("Time an exchange held a named lock, per released grant")
                .publishPercentiles(PERCENTILES).tags(tags).register(registry);
        timeouts = Counter.builder("robustmemory.namedlock.timeouts")
                .description("Named lock acquisitions of lock policies that timed out").tags(tags).register(registry);
        Gauge held = Gauge.builder("robustmemory.namedlock.held", heldNow, AtomicInteger::get)
                .description("Named locks that exchanges of this JVM hold now").tags(tags).register(registry);
        registered = List.of(wait, hold, timeouts, held);
    }

    /** Remembers the instance a starting policy opened, whose totals the memory's JMX view shows. */
    void observe(NamedLockService opened) {
        locks = opened;
    }

    /** This JVM's totals of the memory's named locks (policies and Java users alike); null before a policy started. */
    NamedLockStatistics statistics() {
        NamedLockService current = locks;
        return current == null ? null : current.statistics();
    }

    void granted(long waitNanos) {
        heldNow.incrementAndGet();
        wait.record(waitNanos, TimeUnit.NANOSECONDS);
    }

    void released(long holdNanos) {
        heldNow.decrementAndGet();
        hold.record(holdNanos, TimeUnit.NANOSECONDS);
    }

    void timedOut() {
        timeouts.increment();
    }

    /** Removes the meters, so that a stopped component leaves none behind. */
    void remove() {
        registered.forEach(registry::remove);
    }
}
