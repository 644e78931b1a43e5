package dev.robustmemory.camel;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockException;
import dev.robustmemory.duckdb.lock.OwnerRecord;
import dev.robustmemory.duckdb.lock.OwnerRecordReading;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.NamedLockStatistics;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.api.management.ManagedOperation;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.util.json.Jsoner;

/**
 * The management view of one memory (one database, or one PostgreSQL table prefix) in use by a component: its files,
 * who holds its lock now, the threads of this JVM waiting for it, its lock statistics and last error, and the lock
 * timeout an operator may change while the routes run. A PostgreSQL memory has no lock file: its holder and waiter
 * attributes are empty (its waiters wait in the server) and {@link #cleanupNow} is refused. The component registers it as an MBean when camel-management is present (see
 * {@link RobustMemoryComponent}), and the {@link RobustMemoryDevConsole dev console} shows the same {@link #facts}.
 *
 * <p>Reading the view never takes the lock and never opens the database: the holder comes from the owner record
 * that every holder writes into the lock file, read as the health check reads it. The holder may change between
 * two attributes; {@link #getHolder} describes one record whole.
 */
@ManagedResource(description = "A robustmemory memory: its lock holder, waiters, statistics and lock timeout")
public final class ManagedMemory {

    private final RobustMemoryComponent component;
    private final MemoryMonitor monitor;
    private final MemoryLocation location;
    /** Null on PostgreSQL. */
    private final CrossProcessLock lock;

    ManagedMemory(RobustMemoryComponent component, MemoryMonitor monitor, MemoryLocation location, Memory memory) {
        this.component = component;
        this.monitor = monitor;
        this.location = location;
        this.lock = memory instanceof DuckDbMemory store ? store.lock() : null;
    }

    @ManagedAttribute(description = "The memory: the DuckDB database file, or postgresql:<table prefix>")
    public String getDatabase() {
        return location.displayName();
    }

    @ManagedAttribute(description = "Where the memory lives: duckdb or postgresql")
    public String getBackend() {
        return location instanceof MemoryLocation.DuckDb ? RobustMemoryBackend.duckdb.name()
                                                         : RobustMemoryBackend.postgresql.name();
    }

    @ManagedAttribute(description = "The lock file that guards the database (its real path); empty on PostgreSQL")
    public String getLockFile() {
        return lock == null ? null : lock.path().toString();
    }

    @ManagedAttribute(description = "The lock's current owner record, as one line: holder, state, acquired at, token;"
                                    + " empty on PostgreSQL")
    public String getHolder() {
        return lock == null ? null : ownerRecord().describe();
    }

    @ManagedAttribute(description = "State of the current owner record (HELD, RELEASED, RECOVERED); empty when none")
    public String getHolderState() {
        OwnerRecord record = currentRecord();
        return record == null ? null : record.state().name();
    }

    @ManagedAttribute(description = "Process id of the holder in the current owner record; empty when none")
    public Long getHolderPid() {
        OwnerRecord record = currentRecord();
        return record == null ? null : record.holder().pid();
    }

    @ManagedAttribute(description = "Host of the holder in the current owner record; empty when none")
    public String getHolderHost() {
        OwnerRecord record = currentRecord();
        return record == null ? null : record.holder().host();
    }

    @ManagedAttribute(description = "When the holder in the current owner record acquired the lock (ISO-8601)")
    public String getHolderAcquiredAt() {
        OwnerRecord record = currentRecord();
        return record == null ? null : record.acquiredAt().toString();
    }

    @ManagedAttribute(description = "Fencing token of the current owner record's grant; empty when none")
    public Long getFencingToken() {
        OwnerRecord record = currentRecord();
        return record == null ? null : record.fencingToken();
    }

    @ManagedAttribute(description = "Threads of this JVM waiting for the lock now; empty on PostgreSQL")
    public Integer getWaiters() {
        return lock == null ? null : lock.waitingThreads();
    }

    @ManagedAttribute(description = "Lock requests granted since the statistics started or were reset")
    public long getLockAcquisitions() {
        return monitor.statistics().snapshot().acquisitions();
    }

    @ManagedAttribute(description = "Lock requests that timed out since the statistics started or were reset")
    public long getLockTimeouts() {
        return monitor.statistics().snapshot().timeouts();
    }

    @ManagedAttribute(description = "Lock requests that failed for another reason than a timeout")
    public long getLockFailures() {
        return monitor.statistics().snapshot().failures();
    }

    @ManagedAttribute(description = "Records of holders that died holding the lock, recovered")
    public long getOrphanedLocksCleaned() {
        return monitor.statistics().snapshot().orphansCleaned();
    }

    @ManagedAttribute(description = "Average wait for the lock of the completed operations, in milliseconds")
    public double getAverageWaitMillis() {
        return monitor.statistics().snapshot().avgWaitMillis();
    }

    @ManagedAttribute(description = "Longest wait for the lock of a completed operation, in milliseconds")
    public double getMaxWaitMillis() {
        return monitor.statistics().snapshot().maxWaitMillis();
    }

    @ManagedAttribute(description = "Average time the lock was held per completed operation, in milliseconds")
    public double getAverageHoldMillis() {
        return monitor.statistics().snapshot().avgHoldMillis();
    }

    @ManagedAttribute(description = "Longest time the lock was held by a completed operation, in milliseconds")
    public double getMaxHoldMillis() {
        return monitor.statistics().snapshot().maxHoldMillis();
    }

    @ManagedAttribute(description = "Named locks granted to this JVM since its lock policies opened them")
    public long getNamedLockGrants() {
        return namedLocks().grants();
    }

    @ManagedAttribute(description = "Named lock acquisitions of this JVM that timed out")
    public long getNamedLockTimeouts() {
        return namedLocks().timeouts();
    }

    @ManagedAttribute(description = "Named locks this JVM holds now")
    public int getNamedLocksHeld() {
        return namedLocks().heldNow();
    }

    @ManagedAttribute(description = "Named lock acquisitions of this JVM waiting now")
    public int getNamedLockWaiters() {
        return namedLocks().waitingNow();
    }

    @ManagedAttribute(description = "Longest wait of this JVM for a named lock that was granted, in milliseconds")
    public double getNamedLockMaxWaitMillis() {
        return LockStatistics.millis(namedLocks().maxWaitNanos());
    }

    @ManagedAttribute(description = "Longest time this JVM held a named lock, in milliseconds")
    public double getNamedLockMaxHoldMillis() {
        return LockStatistics.millis(namedLocks().maxHoldNanos());
    }

    @ManagedAttribute(description = "Since when the statistics count: the component's start or the latest reset")
    public String getStatisticsSince() {
        return monitor.statistics().snapshot().since().toString();
    }

    @ManagedAttribute(description = "The latest failure of a lock request or of opening the memory; empty when none")
    public String getLastError() {
        LockStatistics.LastFailure failure = monitor.statistics().lastFailure();
        return failure == null ? null : failure.message();
    }

    @ManagedAttribute(description = "When the latest failure happened (ISO-8601); empty when none")
    public String getLastErrorAt() {
        LockStatistics.LastFailure failure = monitor.statistics().lastFailure();
        return failure == null ? null : failure.at().toString();
    }

    @ManagedAttribute(description = "The lock timeout set for this memory at run time (ISO-8601); empty while each"
                                    + " endpoint's lockTimeout applies")
    public String getLockTimeout() {
        Duration timeout = monitor.lockTimeoutOverride();
        return timeout == null ? null : timeout.toString();
    }

    /**
     * Replaces the endpoints' lockTimeout for this memory's operations that start from now on; the header
     * CamelRobustMemoryLockTimeout still wins for its message, and an operation already waiting keeps its deadline.
     * Accepts what the lockTimeout option accepts (10s, 500ms, PT10S, plain milliseconds); empty text goes back to
     * the endpoints' own. Negative or malformed text is refused and changes nothing.
     */
    @ManagedAttribute(description = "Set the lock timeout for this memory's operations from now on (10s, 500ms,"
                                    + " PT10S or milliseconds); empty goes back to each endpoint's lockTimeout")
    public void setLockTimeout(String timeout) {
        monitor.overrideLockTimeout(
                timeout == null || timeout.isBlank() ? null : Durations.parse("JMX attribute LockTimeout", timeout));
    }

    /**
     * Runs what the producer's cleanup operation runs, with the component's cleanupOrphaned, staleLockThreshold and
     * lockDirectory options, and returns what it found as a JSON array of lock events.
     */
    @ManagedOperation(description = "Inspect (and, with cleanupOrphaned, repair) the lock file now; returns the lock"
                                    + " events found as JSON")
    public String cleanupNow() throws IOException {
        if (lock == null) {
            throw new UnsupportedOperationException("A memory on PostgreSQL has no lock file to inspect");
        }
        return Jsoner.serialize(new LockInspector(component, lock, component.getConfiguration()).inspect()
                .stream().map(LockEvents::toMap).toList());
    }

    @ManagedOperation(description = "Start the lock statistics again from zero (the Micrometer counters go on)")
    public void resetStatistics() {
        monitor.statistics().reset();
    }

    /** The whole view at one moment, JSON-friendly (strings, numbers, nested maps), as the dev console shows it. */
    Map<String, Object> facts() {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("database", getDatabase());
        facts.put("backend", getBackend());
        if (lock != null) {
            facts.put("lockFile", getLockFile());
            facts.put("holder", holderFacts());
            facts.put("waiters", getWaiters());
        }
        Duration lockTimeout = monitor.lockTimeoutOverride();
        facts.put("lockTimeout", lockTimeout == null ? "each endpoint's lockTimeout" : lockTimeout.toString());
        LockStatistics.Snapshot totals = monitor.statistics().snapshot();
        Map<String, Object> statistics = new LinkedHashMap<>();
        statistics.put("since", totals.since().toString());
        statistics.put("acquisitions", totals.acquisitions());
        statistics.put("timeouts", totals.timeouts());
        statistics.put("failures", totals.failures());
        statistics.put("orphansCleaned", totals.orphansCleaned());
        statistics.put("averageWaitMillis", totals.avgWaitMillis());
        statistics.put("maxWaitMillis", totals.maxWaitMillis());
        statistics.put("averageHoldMillis", totals.avgHoldMillis());
        statistics.put("maxHoldMillis", totals.maxHoldMillis());
        facts.put("statistics", statistics);
        NamedLockStatistics named = namedLocks();
        Map<String, Object> namedLocks = new LinkedHashMap<>();
        namedLocks.put("grants", named.grants());
        namedLocks.put("timeouts", named.timeouts());
        namedLocks.put("heldNow", named.heldNow());
        namedLocks.put("waitingNow", named.waitingNow());
        namedLocks.put("maxWaitMillis", LockStatistics.millis(named.maxWaitNanos()));
        namedLocks.put("maxHoldMillis", LockStatistics.millis(named.maxHoldNanos()));
        facts.put("namedLocks", namedLocks);
        LockStatistics.LastFailure failure = monitor.statistics().lastFailure();
        if (failure != null) {
            facts.put("lastError", failure.message());
            facts.put("lastErrorAt", failure.at().toString());
        }
        return facts;
    }

    private Map<String, Object> holderFacts() {
        OwnerRecordReading reading = ownerRecord();
        OwnerRecord record = reading.record();
        Map<String, Object> holder = new LinkedHashMap<>();
        if (record != null) {
            holder.put("state", record.state().name());
            holder.put("pid", record.holder().pid());
            holder.put("host", record.holder().host());
            holder.put("acquiredAt", record.acquiredAt().toString());
            holder.put("fencingToken", record.fencingToken());
        } else {
            holder.put("description", reading.describe());
        }
        return holder;
    }

    /** This JVM's totals of the memory's named locks; all zero until a lock policy of the memory started. */
    private NamedLockStatistics namedLocks() {
        NamedLockStatistics statistics = component.namedLockStatistics(location.memoryKey());
        return statistics != null ? statistics : new NamedLockStatistics(0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** The owner record's content now; null when there is none, or no lock file (PostgreSQL). */
    private OwnerRecord currentRecord() {
        return lock == null ? null : ownerRecord().record();
    }

    /**
     * The owner record as it is now. A JMX client may not know this library's exceptions, so a failure to read it
     * reaches the client as a plain IllegalStateException carrying the message.
     */
    private OwnerRecordReading ownerRecord() {
        try {
            return lock.readOwnerRecord();
        } catch (LockException e) {
            throw new IllegalStateException("Cannot read the owner record of " + getLockFile() + ": " + e.getMessage());
        }
    }
}
