package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.lock.LockEvent;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.NamedLockStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a component watches about one memory (one database or table prefix) in use: its lock statistics, its health check, and the
 * takeovers that its producers noticed and that no consumer has reported yet.
 *
 * <p>Takeovers are kept here because they cannot be found later: the producer's grant overwrote the dead holder's
 * record. The queue is bounded so that a memory without a consumer cannot grow it without end; the oldest takeover
 * is dropped (and logged) first. Draining takes each takeover once, so with several consumers each one is reported
 * by exactly one of them.
 *
 * <p>The lock timeout an operator set for the memory at run time (through JMX) is kept here too, so that every
 * producer of the memory sees it; like the statistics, it is forgotten when the component stops.
 */
final class MemoryMonitor {

    static final int MAX_PENDING_TAKEOVERS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(MemoryMonitor.class);

    private final MemoryLocation location;
    private final LockStatistics statistics = new LockStatistics();
    /** This JVM's totals of the memory's named locks; null until a lock policy of the memory started. */
    private final Supplier<NamedLockStatistics> namedLocks;
    /** Created on first use only: its class needs camel-health, which is optional. Guarded by "this". */
    private RobustMemoryHealthCheck healthCheck;
    private final Deque<LockEvent> pendingTakeovers = new ArrayDeque<>(); // guarded by itself
    private volatile Path lockPath;
    /** Null until an operator sets one: then the endpoints' own lockTimeout applies. */
    private volatile Duration lockTimeoutOverride;

    MemoryMonitor(MemoryLocation location, Supplier<NamedLockStatistics> namedLocks) {
        this.location = location;
        this.namedLocks = namedLocks;
    }

    /** The real path of the memory's lock file, once a store of it is open; null before. */
    Path lockPath() {
        return lockPath;
    }

    void lockOpened(Path realLockPath) {
        lockPath = realLockPath;
    }

    LockStatistics statistics() {
        return statistics;
    }

    /** The memory's health check, created when first asked for; only call it when camel-health is present. */
    synchronized RobustMemoryHealthCheck healthCheck() {
        if (healthCheck == null) {
            healthCheck = new RobustMemoryHealthCheck(location, statistics, namedLocks);
        }
        return healthCheck;
    }

    /**
     * The lock timeout of an operation that starts now and has no timeout header: the one an operator set, else the
     * endpoint's. One read of one field, so an operation gets the old or the new value whole, never a mix; the
     * deadline is then fixed when the operation is queued, so a change never reaches an operation already waiting.
     */
    Duration lockTimeout(Duration endpointTimeout) {
        Duration override = lockTimeoutOverride;
        return override != null ? override : endpointTimeout;
    }

    /** The lock timeout an operator set, or null when the endpoints' own apply. */
    Duration lockTimeoutOverride() {
        return lockTimeoutOverride;
    }

    /**
     * Sets (or, with null, clears) the timeout that replaces the endpoints' lockTimeout for operations from now;
     * a parsed, non-negative duration (see {@link Durations#parse}).
     */
    void overrideLockTimeout(Duration timeout) {
        lockTimeoutOverride = timeout;
    }

    /**
     * Collects what the memory's lease found when it took over the lock (a dead holder, a corrupt record), which no
     * inspection can see any more: counted once here, and kept until a consumer reports it. Only DuckDB memories
     * have a lock to take over.
     */
    void collectTakeovers(Memory memory) {
        if (!(memory instanceof DuckDbMemory store)) {
            return;
        }
        for (LockEvent event : store.drainTakeovers()) {
            if (event.type() == LockEvent.Type.ORPHANED) {
                statistics.recordOrphanCleaned();
            }
            keepForConsumers(event);
        }
    }

    /** Keeps an event that only this JVM saw (a takeover) until a consumer reports it. */
    private void keepForConsumers(LockEvent event) {
        synchronized (pendingTakeovers) {
            if (pendingTakeovers.size() == MAX_PENDING_TAKEOVERS) {
                LOG.warn("More than {} lock takeovers of {} were not consumed; dropping the oldest: {}",
                        MAX_PENDING_TAKEOVERS, location.displayName(), LockEvents.toMap(pendingTakeovers.removeFirst()));
            }
            pendingTakeovers.addLast(event);
        }
    }

    /** The kept events, oldest first; each is returned by one call only. */
    List<LockEvent> drainKeptEvents() {
        synchronized (pendingTakeovers) {
            List<LockEvent> drained = new ArrayList<>(pendingTakeovers);
            pendingTakeovers.clear();
            return drained;
        }
    }
}
