package dev.robustmemory.postgresql;

import dev.robustmemory.memory.LockNames;
import dev.robustmemory.memory.NamedLockService;
import dev.robustmemory.memory.NamedLockStatistics;
import dev.robustmemory.memory.NamedLockTally;
import dev.robustmemory.memory.NamedLockTimeoutException;
import dev.robustmemory.memory.StoreException;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Named locks of a memory on PostgreSQL, as lease rows: shared by every thread of every process on every host that
 * uses the same database and table prefix, each grant with a fencing token that only grows, per name, for ever.
 *
 * <p><b>Coordination the database's way.</b> A name is a row of {@code <prefix>locks} (created with the memory's
 * other tables, {@link PostgresTables}): its newest token, holder, when it was granted, when its lease ends and
 * whether it was released. Every acquisition attempt, renewal and release is one short transaction of one statement
 * on a connection of the {@link DataSource}, handed back at once; the grant itself is
 * {@code INSERT ... ON CONFLICT (name) DO UPDATE SET token = token + 1, ... WHERE released OR expires_at <=
 * clock_timestamp() RETURNING token}. Nothing is held in a session: no session advisory lock, no open transaction,
 * no session setting ({@code lock_timeout} is {@code SET LOCAL}). So a pooled connection handed back holds nothing,
 * PgBouncer's transaction pooling is fine (with the driver's prepared statements set up for it), and a grant
 * survives the termination ({@code pg_terminate_backend}) of any connection, the one that made it included: the next
 * statement simply runs on another. A failing statement that may be retried (a broken connection, a terminated
 * backend, a server not accepting connections yet) is tried again until the acquisition's timeout; when the commit of
 * a grant fails, this JVM asks the row whether its attempt was granted (each attempt writes its own holder id) and
 * either adopts the grant or, giving up, releases it.
 *
 * <p><b>Leases and time.</b> A grant lasts for the lease from the statement that made it; while this JVM holds it, a
 * daemon thread renews it every third of the lease with {@code UPDATE ... SET expires_at = clock_timestamp() + lease
 * WHERE name = ? AND token = ? AND NOT released AND expires_at > clock_timestamp()}; a renewal that failed is tried
 * again every twentieth of the lease (at most 100 ms). A renewal that finds no row in force means
 * the grant is lost (a renewal never revives an expired lease), and nothing of it is renewed again. Lease times are
 * the database server's clock only ({@code clock_timestamp()}), one clock for every host; no JVM's wall clock is
 * ever compared with it. This JVM's own judgement uses its monotonic clock: {@link PostgresNamedLockGrant#isHeld()}
 * turns false, for good, once a lease has passed since the <em>start</em> of the last successful renewal (or of the
 * granting attempt), which is never later than the server's end of that lease as long as the two clocks run at the
 * same rate.
 *
 * <p><b>What it guarantees.</b> At most one grant of a name is in force at any time by the server's clock; a name's
 * tokens strictly grow (rows are never deleted), so the newest grant has the greatest token; a holder that dies
 * ({@code kill -9}, a lost host) frees the name at the end of its lease, at most one lease after its last renewal. A
 * grant's token is committed before the grant is returned. Waiters poll with backoff (up to {@link #MAX_POLL_NANOS}),
 * so a released name is taken within about that; there is no queue and no fairness between waiters.
 *
 * <p><b>What it does not guarantee.</b> A lease is a promise of time: a holder paused past its lease (a stop-the-world
 * pause, {@code SIGSTOP}, a swapped-out VM, a network partition that stops its renewals) may still <em>believe</em>
 * it holds the name when it resumes, while another holder has been granted it meanwhile. It learns so at its next
 * look at {@link PostgresNamedLockGrant#isHeld()}, but anything it does in between is not excluded. That is why writes
 * must be fenced ({@link dev.robustmemory.memory.MemorySession#requireNewestGrant}): the fence refuses a write whose
 * grant is not the newest, and also one whose lease has expired by the server's clock though nobody took the name
 * yet, and it holds the row, so the next grant waits for the fenced work's commit. Side effects outside the memory
 * are not fenced. The lease goes by the server's clock: stepping that clock forward ends leases early (the holders
 * find out at their next renewal). A fenced work holds back the renewal of its own grant until it commits: keep
 * fenced works well shorter than the lease. Dropping or truncating the locks table by hand restarts tokens at 1.
 *
 * <p><b>Closing.</b> {@link #close()} refuses new acquisitions; grants still held stay valid, and renewed, until
 * released (as on DuckDB), after which the renewal thread ends. A JVM that exits without releasing leaves its names
 * taken until their leases end.
 */
public final class PostgresNamedLocks implements NamedLockService {

    /** The longest pause between two attempts of one acquisition. */
    public static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** The longest lease: a day. */
    public static final Duration MAX_LEASE = Duration.ofDays(1);

    private static final long FIRST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long one attempt waits at least for the row lock of a name (a fenced work, a renewal, another taker). */
    private static final long MIN_ATTEMPT_LOCK_WAIT_MILLIS = 10;
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    private static final int RELEASE_ATTEMPTS = 3;
    private static final String HOST = hostName();

    private final DataSource dataSource;
    private final PostgresTables tables;
    private final Duration lease;
    private final long leaseNanos;
    private final long leaseMicros;
    private final String holderId;
    private final String grantSql;
    private final String adoptSql;
    private final String renewSql;
    private final String releaseSql;
    private final String releaseAttemptSql;
    private final String newestTokenSql;
    private final String describeSql;
    private final ScheduledThreadPoolExecutor renewals;
    private final AtomicLong attempts = new AtomicLong();
    /** Acquisitions under way plus grants not yet ended; the renewal thread ends when closed and none is left. */
    private int users;
    private boolean closed;
    private volatile boolean tablesChecked;

    private final NamedLockTally tally = new NamedLockTally();
    private final LongAdder renewed = new LongAdder();
    private final LongAdder renewalFailures = new LongAdder();
    private final LongAdder lost = new LongAdder();

    private PostgresNamedLocks(DataSource dataSource, PostgresTables tables, Duration lease) {
        this.dataSource = dataSource;
        this.tables = tables;
        this.lease = lease;
        this.leaseNanos = lease.toNanos();
        this.leaseMicros = TimeUnit.NANOSECONDS.toMicros(leaseNanos);
        this.holderId = ProcessHandle.current().pid() + "@" + HOST + "/"
                        + UUID.randomUUID().toString().substring(0, 8);
        String locks = tables.locks;
        String leaseEnd = "clock_timestamp() + ? * interval '1 microsecond'";
        this.grantSql = "INSERT INTO " + locks + " AS l (name, token, holder, acquired_at, expires_at, released)"
                        + " VALUES (?, 1, ?, clock_timestamp(), " + leaseEnd + ", false) ON CONFLICT (name) DO UPDATE"
                        + " SET token = l.token + 1, holder = excluded.holder, acquired_at = clock_timestamp(),"
                        + " expires_at = " + leaseEnd + ", released = false"
                        + " WHERE l.released OR l.expires_at <= clock_timestamp()"
                        + " RETURNING token, acquired_at, expires_at";
        this.adoptSql = "SELECT token, acquired_at, expires_at FROM " + locks + " WHERE name = ? AND holder = ?"
                        + " AND NOT released AND expires_at > clock_timestamp()";
        this.renewSql = "UPDATE " + locks + " SET expires_at = " + leaseEnd + " WHERE name = ? AND token = ?"
                        + " AND NOT released AND expires_at > clock_timestamp() RETURNING expires_at";
        this.releaseSql = "UPDATE " + locks + " SET released = true WHERE name = ? AND token = ? AND NOT released";
        this.releaseAttemptSql = "UPDATE " + locks + " SET released = true WHERE name = ? AND holder = ?"
                                 + " AND NOT released";
        this.newestTokenSql = "SELECT token FROM " + locks + " WHERE name = ?";
        this.describeSql = "SELECT token, holder, acquired_at, expires_at, released, clock_timestamp() FROM " + locks
                           + " WHERE name = ?";
        AtomicInteger threads = new AtomicInteger();
        this.renewals = new ScheduledThreadPoolExecutor(2, task -> {
            Thread thread = new Thread(task, "robustmemory-postgresql-lease-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        renewals.setRemoveOnCancelPolicy(true);
        renewals.setKeepAliveTime(30, TimeUnit.SECONDS); // no thread stays while nothing is held
        renewals.allowCoreThreadTimeOut(true);
    }

    /**
     * The named locks in the table {@code <tablePrefix>locks} of the data source's database (created, with the
     * memory's other tables, on first use). Opening connects to nothing. Use a pooling data source: every attempt,
     * renewal and release borrows a connection for one short transaction.
     *
     * @param lease how long a grant lasts without renewal: what a dead holder keeps its names for, and the longest
     *              pause a holder survives; renewed every third of it
     * @throws IllegalArgumentException for a table prefix that is not lower-case letters, digits and '_', or a lease
     *                                  shorter than a millisecond or longer than {@link #MAX_LEASE}
     */
    public static PostgresNamedLocks open(DataSource dataSource, String tablePrefix, Duration lease) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(lease, "lease");
        if (lease.compareTo(Duration.ofMillis(1)) < 0 || lease.compareTo(MAX_LEASE) > 0) {
            throw new IllegalArgumentException("The lease of named locks must be positive, from 1 ms to " + MAX_LEASE
                                               + ", not " + lease);
        }
        return new PostgresNamedLocks(dataSource, PostgresTables.withPrefix(tablePrefix), lease);
    }

    /** @throws IllegalArgumentException as {@link #requireValidName} */
    @Override
    public void checkName(String name) {
        requireValidName(name);
    }

    /**
     * Checks a lock name.
     *
     * @throws IllegalArgumentException for a name {@link LockNames#utf8} refuses, or one holding U+0000 (PostgreSQL
     *                                  text cannot)
     */
    public static void requireValidName(String name) {
        LockNames.utf8(name);
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("A lock name on PostgreSQL cannot hold the character U+0000");
        }
    }

    /**
     * Waits up to {@code timeout} for the name, trying again with backoff (1 ms doubling to {@link #MAX_POLL_NANOS});
     * zero tries once. Whatever this throws, nothing is held afterwards (an attempt whose outcome stayed unknown is
     * released when the database can be reached, or else ends with its lease).
     *
     * @throws NamedLockTimeoutException when another holder's grant stayed in force; its message names that holder
     * @throws StoreException            when PostgreSQL failed, for good or until the deadline
     * @throws InterruptedException      when the waiting thread is interrupted
     * @throws IllegalArgumentException  for an invalid name ({@link #requireValidName}) or a negative timeout
     * @throws IllegalStateException     when this instance is closed
     */
    @Override
    public PostgresNamedLockGrant acquire(String name, Duration timeout) throws IOException, InterruptedException {
        requireValidName(name);
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("A lock timeout must not be negative: " + timeout);
        }
        long start = System.nanoTime();
        long deadline = start + saturatedNanos(timeout);
        retainOrRefuse();
        boolean granted = false;
        tally.startedWaiting();
        String unknownAttempt = null; // an attempt whose commit failed: it may have been granted
        long unknownAttemptStart = 0;
        try {
            long pause = FIRST_POLL_NANOS;
            while (true) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("Interrupted while waiting for the named lock '" + name + "'");
                }
                String attempt = holderId + "#" + attempts.incrementAndGet();
                long attemptStart = System.nanoTime();
                SQLException failure = null;
                try {
                    ensureTables();
                    Granted grant = null;
                    if (unknownAttempt != null) {
                        grant = adopt(name, unknownAttempt);
                        attemptStart = unknownAttemptStart;
                        unknownAttempt = null; // known now: granted and adopted, or not in force
                    }
                    if (grant == null) {
                        attemptStart = System.nanoTime();
                        grant = tryGrant(name, attempt, lockWaitMillis(deadline));
                    }
                    if (grant != null) {
                        PostgresNamedLockGrant hold = register(name, grant, start, attemptStart);
                        granted = true;
                        return hold;
                    }
                } catch (OutcomeUnknown e) {
                    unknownAttempt = attempt;
                    unknownAttemptStart = attemptStart;
                    failure = e;
                } catch (SQLException e) {
                    if (!retryable(e)) {
                        throw new StoreException("Cannot acquire the named lock '" + name + "' in " + tables.locks
                                                 + ": " + e.getMessage(), e);
                    }
                    failure = e;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    if (failure != null) {
                        throw new StoreException("Cannot acquire the named lock '" + name + "' in " + tables.locks
                                                 + " within " + timeout.toMillis() + " ms: PostgreSQL failed ("
                                                 + failure.getMessage() + ")", failure);
                    }
                    tally.timedOut();
                    throw new NamedLockTimeoutException("the locks table " + tables.locks, name, timeout,
                            describeHolder(name));
                }
                long jittered = pause / 2 + ThreadLocalRandom.current().nextLong(pause / 2 + 1);
                TimeUnit.NANOSECONDS.sleep(Math.min(jittered, remaining));
                pause = Math.min(pause * 2, MAX_POLL_NANOS);
            }
        } finally {
            tally.stoppedWaiting();
            if (!granted) {
                if (unknownAttempt != null) {
                    releaseAttemptQuietly(name, unknownAttempt);
                }
                dropUser();
            }
        }
    }

    /** This JVM's totals since this instance was opened. */
    @Override
    public NamedLockStatistics statistics() {
        return tally.snapshot();
    }

    /** Renewals that succeeded, since this instance was opened. */
    public long renewals() {
        return renewed.sum();
    }

    /** Renewal statements that failed (and were tried again) since this instance was opened. */
    public long renewalFailures() {
        return renewalFailures.sum();
    }

    /** Grants lost before their release (a renewal found them expired or taken, or renewals came too late). */
    public long lostGrants() {
        return lost.sum();
    }

    /** Who this instance is in the locks table: {@code pid@host/instance}, each grant adding {@code #attempt}. */
    public String holderId() {
        return holderId;
    }

    public Duration lease() {
        return lease;
    }

    /** The table of the lease rows. */
    public String table() {
        return tables.locks;
    }

    /**
     * Refuses further acquisitions. Grants still held stay valid, and renewed, until released; the renewal thread
     * ends once none is left.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        shutDownWhenUnused();
    }

    @Override
    public String toString() {
        return "PostgresNamedLocks[" + tables.locks + ", lease " + lease + ", " + holderId + "]";
    }

    // ---- the statements -------------------------------------------------------------------------------------------

    /** What a granting statement returned. */
    record Granted(long token, Instant acquiredAt, Instant leaseEnd) {
    }

    private Granted tryGrant(String name, String attempt, long lockWaitMillis) throws SQLException {
        try {
            return inShortTransaction(lockWaitMillis, connection -> {
                try (PreparedStatement grant = connection.prepareStatement(grantSql)) {
                    grant.setString(1, name);
                    grant.setString(2, attempt);
                    grant.setLong(3, leaseMicros);
                    grant.setLong(4, leaseMicros);
                    try (ResultSet row = grant.executeQuery()) {
                        return row.next() ? granted(row) : null;
                    }
                }
            });
        } catch (SQLException e) {
            if (LOCK_NOT_AVAILABLE.equals(e.getSQLState()) && !(e instanceof OutcomeUnknown)) {
                return null; // the row is busy with its holder's fenced work or renewal, or another taker
            }
            throw e;
        }
    }

    /** The grant of an attempt whose commit failed, if it was made and is still in force. */
    private Granted adopt(String name, String attempt) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(adoptSql)) {
            select.setString(1, name);
            select.setString(2, attempt);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? granted(row) : null;
            }
        }
    }

    private void releaseAttemptQuietly(String name, String attempt) {
        try {
            inShortTransaction(MIN_ATTEMPT_LOCK_WAIT_MILLIS * 10, connection -> {
                try (PreparedStatement release = connection.prepareStatement(releaseAttemptSql)) {
                    release.setString(1, name);
                    release.setString(2, attempt);
                    return release.executeUpdate();
                }
            });
        } catch (SQLException e) {
            // Unreachable: if that attempt was granted, its lease ends it, as for a holder that died.
        }
    }

    /** @return the server's new end of the lease, or null when the grant is no longer in force */
    private Instant renewStatement(PostgresNamedLockGrant grant) throws SQLException {
        return inShortTransaction(Math.max(1, TimeUnit.NANOSECONDS.toMillis(leaseNanos / 10)), connection -> {
            try (PreparedStatement renew = connection.prepareStatement(renewSql)) {
                renew.setLong(1, leaseMicros);
                renew.setString(2, grant.name());
                renew.setLong(3, grant.token());
                try (ResultSet row = renew.executeQuery()) {
                    return row.next() ? row.getObject(1, OffsetDateTime.class).toInstant() : null;
                }
            }
        });
    }

    /** The name's row's token, read without waiting for the name; 0 when it was never granted. */
    @Override
    public long newestToken(String name) throws IOException {
        requireValidName(name);
        try {
            ensureTables();
            try (Connection connection = dataSource.getConnection();
                 PreparedStatement select = connection.prepareStatement(newestTokenSql)) {
                select.setString(1, name);
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? row.getLong(1) : 0;
                }
            }
        } catch (SQLException e) {
            throw new StoreException("Cannot read the named lock '" + name + "' in " + tables.locks + ": "
                                     + e.getMessage(), e);
        }
    }

    private String describeHolder(String name) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(describeSql)) {
            select.setString(1, name);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return "nobody (the name was never granted)";
                }
                long token = row.getLong(1);
                Instant since = row.getObject(3, OffsetDateTime.class).toInstant();
                Instant until = row.getObject(4, OffsetDateTime.class).toInstant();
                Instant now = row.getObject(6, OffsetDateTime.class).toInstant();
                String grant = "newest grant token " + token + " to " + row.getString(2) + " since " + since;
                if (row.getBoolean(5)) {
                    return "nobody by now (" + grant + " was released just after the last attempt)";
                }
                long left = Duration.between(now, until).toMillis();
                return grant + ", its lease ending " + until + (left > 0 ? " (in " + left + " ms" : " (" + -left
                        + " ms ago") + " by the database server's clock)";
            }
        } catch (SQLException | RuntimeException e) {
            return "a holder that could not be read (" + e.getMessage() + ")";
        }
    }

    private void ensureTables() throws SQLException {
        if (tablesChecked) {
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                tables.create(connection);
            } catch (StoreException e) {
                rollBackQuietly(connection);
                throw new SQLException(e.getMessage(), "XX000", e); // a newer schema: not retryable
            } catch (SQLException e) {
                rollBackQuietly(connection);
                throw e;
            }
        }
        tablesChecked = true;
    }

    @FunctionalInterface
    private interface InTransaction<T> {
        T run(Connection connection) throws SQLException;
    }

    /** The commit of a transaction failed: it may or may not have been committed. */
    private static final class OutcomeUnknown extends SQLException {
        OutcomeUnknown(SQLException cause) {
            super("The commit failed (" + cause.getMessage() + "); it may or may not have been made",
                  cause.getSQLState(), cause);
        }
    }

    /**
     * One short transaction: {@code SET LOCAL lock_timeout}, the statement, the commit. Local to the transaction, so
     * nothing stays set on the connection when it goes back to its pool (or PgBouncer hands the backend on).
     *
     * @throws OutcomeUnknown when the commit failed after the work returned a result
     */
    private <T> T inShortTransaction(long lockWaitMillis, InTransaction<T> work) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                try (Statement set = connection.createStatement()) {
                    set.execute(PostgresTables.setLocalLockTimeout(lockWaitMillis));
                }
                T result = work.run(connection);
                try {
                    connection.commit();
                } catch (SQLException e) {
                    if (result != null) {
                        throw new OutcomeUnknown(e);
                    }
                    throw e;
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                rollBackQuietly(connection);
                throw e;
            } finally {
                try {
                    connection.setAutoCommit(true);
                } catch (SQLException e) {
                    // broken: the pool drops it
                }
            }
        }
    }

    private static Granted granted(ResultSet row) throws SQLException {
        return new Granted(row.getLong(1), row.getObject(2, OffsetDateTime.class).toInstant(),
                row.getObject(3, OffsetDateTime.class).toInstant());
    }

    /**
     * Failures worth another attempt: the connection (class 08), a terminated or starting server (57P0x), too many
     * connections, a serialization failure or deadlock, or what the driver or pool calls transient or recoverable.
     */
    static boolean retryable(SQLException e) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("53300")
                              || state.equals("40001") || state.equals("40P01") || state.equals(LOCK_NOT_AVAILABLE))) {
            return true;
        }
        return e instanceof SQLTransientException || e instanceof SQLRecoverableException;
    }

    // ---- grants and renewals --------------------------------------------------------------------------------------

    private PostgresNamedLockGrant register(String name, Granted granted, long start, long attemptStart) {
        long now = System.nanoTime();
        long waitNanos = now - start;
        PostgresNamedLockGrant grant = new PostgresNamedLockGrant(this, name, granted.token(), granted.acquiredAt(),
                now, waitNanos, attemptStart + leaseNanos, granted.leaseEnd());
        tally.granted(waitNanos);
        scheduleRenewal(grant, attemptStart + leaseNanos / 3 - now);
        return grant;
    }

    private void scheduleRenewal(PostgresNamedLockGrant grant, long delayNanos) {
        try {
            grant.renewal = renewals.schedule(() -> renew(grant), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // released meanwhile, and with it the last user: nothing is left to renew
        }
    }

    /** On a renewal thread; the next renewal of a grant is scheduled only when this one has finished. */
    private void renew(PostgresNamedLockGrant grant) {
        if (grant.isEnded()) {
            return;
        }
        long attemptStart = System.nanoTime();
        if (attemptStart - grant.heldUntilNanos() >= 0) {
            grant.lose("it was not renewed within its lease by this JVM's monotonic clock (last failure: "
                       + grant.lastRenewalFailure + ")");
            return;
        }
        try {
            Instant leaseEnd = renewStatement(grant);
            if (leaseEnd == null) {
                grant.lose("its renewal found it expired, released or taken over in " + tables.locks);
                return;
            }
            renewed.increment();
            grant.renewed(attemptStart + leaseNanos, leaseEnd);
            if (!grant.isEnded()) {
                scheduleRenewal(grant, attemptStart + leaseNanos / 3 - System.nanoTime());
            }
        } catch (SQLException | RuntimeException e) {
            renewalFailures.increment();
            grant.lastRenewalFailure = e.toString();
            if (!grant.isEnded()) {
                scheduleRenewal(grant, retryNanos());
            }
        }
    }

    /** How soon a failed renewal is tried again: a twentieth of the lease, at most 100 ms. */
    private long retryNanos() {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(1),
                Math.min(leaseNanos / 20, TimeUnit.MILLISECONDS.toNanos(100)));
    }

    /** Called once per grant, from whichever thread releases it; the grant is already ended. */
    void release(PostgresNamedLockGrant grant) {
        // A few tries: a pool may hand out a connection whose backend was terminated, and drops it once it failed.
        for (int attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
            try {
                inShortTransaction(Math.max(MIN_ATTEMPT_LOCK_WAIT_MILLIS, TimeUnit.NANOSECONDS.toMillis(leaseNanos)),
                        connection -> {
                            try (PreparedStatement release = connection.prepareStatement(releaseSql)) {
                                release.setString(1, grant.name());
                                release.setLong(2, grant.token());
                                return release.executeUpdate();
                            }
                        });
                return;
            } catch (SQLException e) {
                if (!retryable(e) || LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                    return; // busy for a whole lease, or failing for good: the lease ends the grant instead
                }
            }
        }
    }

    /** Called once per grant, when it is released or lost, whichever comes first. */
    void ended(PostgresNamedLockGrant grant, boolean wasLost) {
        long holdNanos = System.nanoTime() - grant.acquiredAtNanos();
        tally.ended(holdNanos);
        if (wasLost) {
            lost.increment();
        }
    }

    /** Called once per grant, after its release. */
    void dropUser() {
        synchronized (this) {
            users--;
        }
        shutDownWhenUnused();
    }

    private synchronized void retainOrRefuse() {
        if (closed) {
            throw new IllegalStateException("The named locks of " + tables.locks + " are closed");
        }
        users++;
    }

    private void shutDownWhenUnused() {
        synchronized (this) {
            if (!closed || users > 0) {
                return;
            }
        }
        renewals.shutdownNow();
    }

    /**
     * How long one attempt may wait for the row lock: until the deadline, and at least a few milliseconds; a timeout
     * of weeks or "for ever" (as a cluster view waits) is cut to what {@code lock_timeout} takes by
     * {@link PostgresTables#setLocalLockTimeout}.
     */
    private long lockWaitMillis(long deadline) {
        return Math.max(MIN_ATTEMPT_LOCK_WAIT_MILLIS, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    long leaseNanos() {
        return leaseNanos;
    }

    private static long saturatedNanos(Duration timeout) {
        try {
            return Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    private static void rollBackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // broken: the server rolls the transaction back itself
        }
    }

    private static String hostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: ask the resolver
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return "unknown-host";
        }
    }
}
