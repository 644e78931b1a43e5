package dev.robustmemory.camel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.function.Supplier;

import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockException;
import dev.robustmemory.duckdb.lock.OwnerRecord;
import dev.robustmemory.duckdb.lock.OwnerRecordReading;
import dev.robustmemory.memory.NamedLockStatistics;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness of one memory: can this process use its database and its lock file (DuckDB), or reach its database
 * (PostgreSQL)?
 *
 * <p>DOWN when the lock file cannot be used (its path is a directory, not readable or writable, on a refused file
 * system, or its owner record cannot be read), when the database path cannot be a database file (a directory, not
 * readable or writable), or when the memory's latest lock request failed (the database could not be opened or
 * written, a lock error) and nothing has succeeded since; that last signal comes from the producers' monitoring
 * ({@code monitorLocks=true}) and from opening the memory. UP otherwise: <b>a lock held by someone else is not
 * DOWN</b>, and neither is a lock timeout; the details name the holder and the waiters, and once a lock policy uses
 * the memory's named locks, this JVM's named-lock totals (grants, timeouts, held and waiting now).
 *
 * <p>The check reads file attributes and the owner record; it never takes the lock, opens the database or changes
 * what a file holds (a missing lock file is created empty, as any use of the memory would). On PostgreSQL it takes a
 * connection from the data source and asks the server whether it is valid (within 2 s); DOWN when that fails or when
 * the latest use of the memory failed, never because another work holds the memory.
 *
 * <p>A producer check as Camel's own components have them (group {@code camel}, id
 * {@code producer:robustmemory-<database>}, {@code producer:robustmemory-postgresql:<prefix>}), in camel-health's {@code producers} repository: Camel's switches
 * ({@code camel.health.producersEnabled}, {@code camel.health.exclude-pattern}, the component's
 * {@code healthCheckProducerEnabled}) and health endpoints apply to it, and {@link AbstractHealthCheck} keeps its
 * invocation, success and failure counters. One instance per memory, shared by the memory's producers.
 */
final class RobustMemoryHealthCheck extends AbstractHealthCheck {

    private static final int CONNECTION_CHECK_SECONDS = 2;

    private final MemoryLocation location;
    private final LockStatistics statistics;
    private final Supplier<NamedLockStatistics> namedLocks;

    /** @param namedLocks this JVM's totals of the memory's named locks, null while no lock policy uses them */
    RobustMemoryHealthCheck(MemoryLocation location, LockStatistics statistics,
                            Supplier<NamedLockStatistics> namedLocks) {
        super("camel", "producer:robustmemory-" + location.displayName());
        this.location = location;
        this.statistics = statistics;
        this.namedLocks = namedLocks;
    }

    /** A readiness check only: a memory that cannot be used is not a reason to restart the process. */
    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder result, Map<String, Object> options) {
        result.detail("database", location.displayName());
        String problem = location instanceof MemoryLocation.DuckDb duckDb
                ? describeFiles(result, duckDb.settings()) : describeConnection((MemoryLocation.Postgres) location);
        // In this order: a failure is stored before the flag is raised, so a raised flag always has its failure.
        boolean failing = statistics.isFailing();
        LockStatistics.LastFailure lastFailure = statistics.lastFailure();
        if (lastFailure != null) {
            result.detail("last.error", lastFailure.message()).detail("last.error.at", lastFailure.at().toString());
        }
        if (problem == null && failing) {
            problem = "the latest use of the memory failed: " + lastFailure.message();
        }
        LockStatistics.Snapshot totals = statistics.snapshot();
        result.detail("lock.acquisitions", totals.acquisitions())
                .detail("lock.failures", totals.failures())
                .detail("lock.timeouts", totals.timeouts());
        NamedLockStatistics named = namedLocks.get();
        if (named != null) {
            result.detail("namedlocks.grants", named.grants())
                    .detail("namedlocks.timeouts", named.timeouts())
                    .detail("namedlocks.held", named.heldNow())
                    .detail("namedlocks.waiting", named.waitingNow());
        }
        if (problem == null) {
            result.up();
        } else {
            result.message(problem).down();
        }
    }

    /** Adds the lock file, holder and waiters to the details; returns why a file is unusable, or null. */
    private static String describeFiles(HealthCheckResultBuilder result, StoreSettings settings) {
        result.detail("lock.file", settings.lockFile().toString());
        String problem = describeLock(result, settings);
        return problem != null ? problem : unusableFile(settings.database(), "database");
    }

    /** Why the PostgreSQL database cannot be reached now, or null. */
    private static String describeConnection(MemoryLocation.Postgres postgres) {
        try (Connection connection = postgres.dataSource().getConnection()) {
            return connection.isValid(CONNECTION_CHECK_SECONDS)
                    ? null : "the PostgreSQL connection did not answer within " + CONNECTION_CHECK_SECONDS + " s";
        } catch (SQLException e) {
            return "cannot connect to PostgreSQL: " + e.getMessage();
        }
    }

    /** Adds the holder and the waiters to the details; returns why the lock file is unusable, or null. */
    private static String describeLock(HealthCheckResultBuilder result, StoreSettings settings) {
        String problem = unusableFile(settings.lockFile(), "lock file");
        if (problem != null) {
            return problem;
        }
        // The JVM's one instance for this file: reading through it never opens a second handle. Closed after each
        // check, else every check would keep it open for good; a store of this JVM keeps its own open.
        try (CrossProcessLock lock = CrossProcessLock.open(settings.lockFile(), settings.lockFileSettings())) {
            OwnerRecordReading reading = lock.readOwnerRecord();
            result.detail("lock.waiters", lock.waitingThreads()).detail("lock.holder", reading.describe());
            OwnerRecord record = reading.record();
            if (record != null) {
                result.detail("lock.state", record.state().name())
                        .detail("lock.holder.pid", record.holder().pid())
                        .detail("lock.holder.host", record.holder().host())
                        .detail("lock.holder.acquiredAt", record.acquiredAt().toString());
            }
            return null;
        } catch (LockException e) {
            result.error(e);
            return "the lock file cannot be used: " + e.getMessage();
        }
    }

    /** Why a path cannot serve as a file of the memory, or null; a missing file is fine if it can be created. */
    private static String unusableFile(Path path, String role) {
        if (Files.isDirectory(path)) {
            return "the " + role + " path " + path + " is a directory";
        }
        if (Files.exists(path)) {
            return Files.isReadable(path) && Files.isWritable(path)
                    ? null : "the " + role + " " + path + " is not readable and writable";
        }
        Path parent = path.getParent();
        for (Path existing = parent; existing != null; existing = existing.getParent()) {
            if (Files.exists(existing)) {
                return Files.isDirectory(existing) && Files.isWritable(existing)
                        ? null : "the " + role + " " + path + " cannot be created in " + existing;
            }
        }
        return null;
    }
}
