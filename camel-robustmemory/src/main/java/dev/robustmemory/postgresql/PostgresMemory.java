package dev.robustmemory.postgresql;

import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.OutcomeUnknownException;
import dev.robustmemory.memory.SessionRules;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A memory in PostgreSQL tables, shared by every process on every host that uses the same database and table prefix.
 *
 * <p><b>Coordination the database's way.</b> Each work is one transaction on a connection of the
 * {@link DataSource}. Its grant is one statement, {@code UPDATE <prefix>meta SET value = value + 1 WHERE name =
 * 'fencing_token' RETURNING value}: the increment is the work's fencing token, and the row it locks stays locked until
 * the transaction ends, so the works of all processes run one at a time, each seeing every work committed before
 * it. Nothing is held outside a transaction: a pooled connection handed back holds nothing, PgBouncer's transaction
 * pooling keeps each work on one backend, and a client that dies or a backend that is terminated
 * ({@code pg_terminate_backend}) has its transaction rolled back and its row lock released by the server. A wait
 * longer than the lock timeout fails with {@link PostgresLockTimeoutException} ({@code lock_timeout}, or
 * {@code NOWAIT} for zero). A failure before the commit wrote nothing; one of the commit itself is an
 * {@link OutcomeUnknownException}. The lock timeout, the grant and the read of the meta state go in one round trip.
 *
 * <p><b>Reading works</b> ({@link MemoryWork#reading}) take no token row: each runs in a {@code REPEATABLE READ,
 * READ ONLY} transaction, whose one snapshot holds a prefix of the works in their order (they commit one at a time,
 * each visible before it is acknowledged), so it waits for no writer and sees every write acknowledged before it
 * began. One that writes after all, or meets an entry that expired after the clock mark (which it cannot raise),
 * discards what it did and runs again with the grant.
 *
 * <p><b>Time.</b> Expiry goes by the database server's clock ({@code clock_timestamp()}), one clock for all hosts,
 * never a JVM's; the meta row {@code clock_mark} keeps it from going back, as the journal's clock mark does on DuckDB.
 */
public final class PostgresMemory implements Memory {

    private static final long RECLAIM_PERIOD_NANOS = 1_000_000_000L;
    private static final int RECLAIM_MAX_ROWS = 10_000;
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private final DataSource dataSource;
    private final PostgresTables tables;
    private final long maxValueSize;
    private final Clock testClock;
    private final ExecutorService workers;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean tablesChecked;
    private volatile long lastReclaimNanos = System.nanoTime() - RECLAIM_PERIOD_NANOS;

    private PostgresMemory(DataSource dataSource, PostgresTables tables, long maxValueSize, Clock testClock) {
        this.dataSource = dataSource;
        this.tables = tables;
        this.maxValueSize = maxValueSize;
        this.testClock = testClock;
        AtomicInteger threads = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "robustmemory-postgresql-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * A memory in the tables {@code <tablePrefix>entries}, {@code meta} and {@code changes} of the data source's
     * database (created on first use). Opening connects to nothing.
     *
     * @param maxValueSize the largest value accepted, in bytes (UTF-8 bytes for text)
     * @throws IllegalArgumentException for a table prefix that is not lower-case letters, digits and '_'
     */
    public static PostgresMemory open(DataSource dataSource, String tablePrefix, long maxValueSize) {
        return open(dataSource, tablePrefix, maxValueSize, null);
    }

    /** As {@link #open(DataSource, String, long)}, with {@code testClock} in place of the server's clock (tests). */
    public static PostgresMemory open(DataSource dataSource, String tablePrefix, long maxValueSize, Clock testClock) {
        Objects.requireNonNull(dataSource, "dataSource");
        if (maxValueSize <= 0) {
            throw new IllegalArgumentException("The largest value must be a positive number of bytes, not "
                                               + maxValueSize);
        }
        return new PostgresMemory(dataSource, PostgresTables.withPrefix(tablePrefix), maxValueSize, testClock);
    }

    /** @throws IllegalArgumentException unless the prefix is lower-case letters, digits and '_' (no quoting needed) */
    public static void checkTablePrefix(String tablePrefix) {
        PostgresTables.withPrefix(tablePrefix);
    }

    @Override
    public <T> Outcome<T> execute(Duration lockTimeout, MemoryWork<T> work) throws IOException {
        checkCall(lockTimeout, work);
        long called = System.nanoTime();
        if (work.onlyReads()) {
            Outcome<T> read = readWithoutGrant(work, called);
            if (read != null) {
                return read;
            }
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                checkTables(connection);
                PostgresSession session = PostgresSession.grantAndBegin(connection, tables, lockTimeout,
                        work.onlyReads(), maxValueSize, testClock);
                long granted = System.nanoTime();
                T result = work.run(session);
                reclaimNowAndThen(session);
                session.finish();
                commit(connection);
                return new Outcome<>(result, session.fencingToken(), granted - called, System.nanoTime() - granted);
            } catch (SQLException | StoreException | RuntimeException | Error e) {
                rollBack(connection, e);
                throw e;
            }
        } catch (SQLException e) {
            if (LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                throw new PostgresLockTimeoutException(tables.meta, lockTimeout, e);
            }
            throw new StoreException("The PostgreSQL memory " + tables.entries + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs a reading work without the token row, in one read-only snapshot ({@link PostgresSession#beginSnapshot});
     * null when it needed the grant after all (it tried to write, or met an entry that expired after the clock mark),
     * having changed nothing: it then runs again with the grant. Waits for no lock.
     */
    private <T> Outcome<T> readWithoutGrant(MemoryWork<T> work, long called) throws StoreException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            PostgresSession session = null;
            try {
                checkTables(connection);
                session = PostgresSession.beginSnapshot(connection, tables, maxValueSize, testClock);
                long started = System.nanoTime();
                T result = work.run(session);
                if (session.neededGrant()) {
                    rollBack(connection, null);
                    return null;
                }
                session.closeStatements();
                connection.commit(); // read only: nothing to lose, but the connection goes back clean
                return new Outcome<>(result, session.fencingToken(), started - called, System.nanoTime() - started);
            } catch (SQLException | StoreException | RuntimeException | Error e) {
                rollBack(connection, e);
                if (session != null && session.neededGrant()) {
                    return null;
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("The PostgreSQL memory " + tables.entries + " failed: " + e.getMessage(), e);
        }
    }

    private void checkTables(Connection connection) throws SQLException, StoreException {
        if (!tablesChecked) {
            tables.create(connection);
            tablesChecked = true;
        }
    }

    @Override
    public <T> CompletionStage<Outcome<T>> executeAsync(Duration lockTimeout, MemoryWork<T> work,
                                                        Executor completions) {
        checkCall(lockTimeout, work);
        Objects.requireNonNull(completions, "completions");
        CompletableFuture<Outcome<T>> answered = new CompletableFuture<>();
        workers.execute(() -> {
            Outcome<T> outcome = null;
            Throwable failure = null;
            try {
                outcome = execute(lockTimeout, work);
            } catch (IOException | RuntimeException | Error e) {
                failure = e;
            }
            Outcome<T> result = outcome;
            Throwable thrown = failure;
            Runnable complete = () -> {
                if (thrown == null) {
                    answered.complete(result);
                } else {
                    answered.completeExceptionally(thrown instanceof CompletionException ? thrown.getCause() : thrown);
                }
            };
            try {
                completions.execute(complete);
            } catch (RuntimeException rejected) {
                complete.run();
            }
        });
        return answered;
    }

    @Override
    public void checkKey(String key) {
        SessionRules.checkKey(key);
    }

    @Override
    public void checkValue(StoredValue value) {
        SessionRules.checkValue(value, maxValueSize);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            workers.shutdown();
        }
    }

    /**
     * Commits; a failure of the commit itself (the connection broke, the backend was terminated) leaves the outcome
     * unknown: the server may have committed before the answer was lost.
     */
    private void commit(Connection connection) throws OutcomeUnknownException {
        try {
            connection.commit();
        } catch (SQLException e) {
            throw new OutcomeUnknownException("The commit on PostgreSQL failed (" + e.getMessage() + "); the work may"
                                              + " or may not have been written", e);
        }
    }

    /** Expired rows go at most once a second, with a work that runs anyway: bounded, so it never holds long. */
    private void reclaimNowAndThen(PostgresSession session) throws SQLException {
        long now = System.nanoTime();
        if (now - lastReclaimNanos >= RECLAIM_PERIOD_NANOS) {
            lastReclaimNanos = now;
            session.reclaimExpired(RECLAIM_MAX_ROWS);
        }
    }

    private void checkCall(Duration lockTimeout, MemoryWork<?> work) {
        Objects.requireNonNull(work, "work");
        if (lockTimeout.isNegative()) {
            throw new IllegalArgumentException("Lock timeout must not be negative: " + lockTimeout);
        }
        if (closed.get()) {
            throw new IllegalStateException("The PostgreSQL memory " + tables.entries + " is closed");
        }
    }

    private static void rollBack(Connection connection, Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            if (cause != null) {
                cause.addSuppressed(e);
            } // the connection is broken: the server rolls the transaction back itself
        }
    }
}
