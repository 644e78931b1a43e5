package dev.robustmemory.store;

import dev.robustmemory.lock.CrossProcessLock;
import dev.robustmemory.lock.LockException;
import dev.robustmemory.lock.LockGrant;
import dev.robustmemory.lock.LockLostException;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A key/value memory in one DuckDB file, shared by every thread and process on a host that opens the same file,
 * every access under the {@link CrossProcessLock} of its lock file.
 *
 * <p><b>One grant, one open.</b> DuckDB lets one process at a time open a file for writing and releases its own
 * file lock only when the last connection of that process closes. So nothing is kept open between calls: each
 * {@link #execute} acquires the lock, opens the database, runs the work in one transaction, commits, closes the
 * connection and only then releases the lock. That costs an open and a close (about 6 ms and 1-2 ms with DuckDB
 * 1.5, plus a checkpoint after writes) per call; batch operations into one work to share them.
 *
 * <p><b>Fencing.</b> Every grant increments a counter stored in the database and publishes it in the lock's owner
 * record; every row written records it. Before committing, the work checks that the lock is still held and the
 * counter is still its own, and otherwise commits nothing ({@link LockLostException}).
 *
 * <p><b>Another program holding the file.</b> A program that opens the database without this lock makes DuckDB
 * refuse the open ("Could not set lock on file ... Conflicting lock is held in ... (PID n)"); {@link #execute}
 * retries until its timeout, then fails with a {@link StoreException} saying so.
 *
 * <p><b>Instances.</b> A store holds no connection and no file handle of its own, so several instances on one
 * database are harmless as long as they use the same lock file; opening one with a different lock file than an
 * open instance in this JVM is refused. (Processes that disagree on the lock file are stopped by DuckDB's own file
 * lock, reported as above.)
 */
public final class MemoryStore implements AutoCloseable {

    /** Longest key accepted, in characters (UTF-16 code units, {@link String#length()}). */
    public static final int MAX_KEY_LENGTH = 1024;
    /** How long {@link #open} waits for the lock (and for a foreign holder of the file) to create the schema. */
    static final Duration OPEN_TIMEOUT = Duration.ofSeconds(30);

    /** Lock file of every open store, by real database path; guarded by itself. */
    private static final Map<Path, Registration> OPEN_DATABASES = new HashMap<>();
    private static final System.Logger LOG = System.getLogger(MemoryStore.class.getName());

    private final StoreSettings settings;
    private final DatabaseFile database;
    private final CrossProcessLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MemoryStore(StoreSettings settings, DatabaseFile database, CrossProcessLock lock) {
        this.settings = settings;
        this.database = database;
        this.lock = lock;
    }

    /**
     * Opens (creating when absent) the memory: validates the paths, creates missing directories, then under one
     * lock grant opens the database once to check that it is a DuckDB database and to create the tables.
     *
     * @throws StoreException for {@code :memory:} or another special name, a database path that is a directory or
     *                        not writable, a file that is not a DuckDB database (it is never modified), a lock file
     *                        that is the database itself, or a lock file other than that of a store already open on
     *                        the same database in this JVM
     * @throws LockException  when the lock file cannot be used (a directory, permission denied, network file system)
     *                        or stays held for 30 seconds
     */
    public static MemoryStore open(StoreSettings settings) throws StoreException, LockException {
        DatabaseFile database = DatabaseFile.prepare(settings.database(),
                settings.lockFileSettings().filePermissions());
        refuseAsLockFile(database, DatabaseFile.canonical(settings.lockFile())); // before the lock creates the file
        CrossProcessLock lock = CrossProcessLock.open(settings.lockFile(), settings.lockFileSettings());
        refuseAsLockFile(database, lock.path()); // a symbolic link may have led there
        register(database.path(), lock.path());
        MemoryStore store = new MemoryStore(settings, database, lock);
        try {
            store.createSchema();
            return store;
        } catch (StoreException | LockException | RuntimeException e) {
            store.close();
            throw e;
        } catch (InterruptedException e) {
            store.close();
            Thread.currentThread().interrupt();
            throw new StoreException("Interrupted while opening the memory " + database.path(), e);
        } catch (IOException e) {
            store.close();
            throw new StoreException("Cannot open the memory " + database.path() + ": " + e, e);
        }
    }

    public StoreSettings settings() {
        return settings;
    }

    public CrossProcessLock lock() {
        return lock;
    }

    /**
     * @throws InvalidEntryException for a null, empty or over-long key ({@value #MAX_KEY_LENGTH} characters at most),
     *                               or one with an unpaired surrogate (DuckDB would store it as '?')
     */
    public void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidEntryException("The key must not be null or empty");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new InvalidEntryException("The key is " + key.length() + " characters long; the limit is "
                                            + MAX_KEY_LENGTH + " characters");
        }
        utf8Length(key, "The key");
    }

    /**
     * @throws InvalidEntryException for a value larger than maxValueSize (UTF-8 bytes for text), or text with an
     *                               unpaired surrogate (it cannot be stored as UTF-8 unchanged)
     */
    public void checkValue(StoredValue value) {
        Objects.requireNonNull(value, "value");
        long size = value.kind() == ValueKind.BYTES ? value.bytes().length : utf8Length(value.text(), "The value");
        if (size > settings.maxValueSize()) {
            throw new InvalidEntryException("The value is " + size + " bytes; the limit (maxValueSize) is "
                                            + settings.maxValueSize() + " bytes");
        }
    }

    /**
     * Runs work under one grant in one transaction; commits when it returns, rolls back when it throws.
     *
     * @param lockTimeout how long to wait, in all, for the lock and for a program holding the database file without
     *                    it; zero tries each once
     * @throws dev.robustmemory.lock.LockTimeoutException when the lock stayed held for the whole timeout
     * @throws LockLostException    when the lock or the fencing token was lost before the commit; nothing was written
     * @throws LockException        when the lock file cannot be used
     * @throws StoreException       when the work threw it (nothing was written), or the database could not be opened
     *                              (not a DuckDB file, held by another program for the whole timeout) or written
     * @throws InterruptedException when interrupted while waiting; nothing is held and nothing was written
     */
    public <T> Outcome<T> execute(Duration lockTimeout, MemoryWork<T> work) throws IOException, InterruptedException {
        Objects.requireNonNull(work, "work");
        if (closed.get()) {
            throw new IllegalStateException("The memory store for " + database.path() + " is closed");
        }
        long deadline = deadlineAfter(lockTimeout);
        LockGrant grant = lock.acquire(lockTimeout);
        try {
            Fenced<T> fenced = withConnection(grant, deadline, lockTimeout, connection -> {
                // Committed on its own, before the work: every grant gets a token of its own that no later grant
                // reuses, even when this work rolls back or this process dies before committing.
                long token = Schema.nextFencingToken(connection);
                grant.publishFencingToken(token);
                connection.setAutoCommit(false);
                DuckDbSession session = new DuckDbSession(this, connection, token);
                T result;
                try {
                    result = work.run(session);
                } finally {
                    session.end();
                }
                long current = Schema.currentFencingToken(connection);
                if (current != token) {
                    throw new LockLostException(lock.path(), "the database's fencing token moved from " + token
                            + " to " + current + " during this grant: another writer used the database");
                }
                commitWhileHeld(grant, connection);
                return new Fenced<>(result, token);
            });
            long holdNanos = System.nanoTime() - grant.acquiredAtNanos();
            return new Outcome<>(fenced.result(), fenced.token(), grant.waitNanos(), holdNanos, grant.previousRecord(),
                    grant.previousHolderDied());
        } finally {
            grant.close();
        }
    }

    /** Lets this instance go; other instances on the same database, and work running now, are not affected. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            unregister(database.path());
        }
    }

    /** Makes tests able to see the retries while another program holds the database file. */
    void onDatabaseHeldByAnotherProgram(Runnable listener) {
        database.onHeldByAnotherProgram(listener);
    }

    private void createSchema() throws IOException, InterruptedException {
        long deadline = deadlineAfter(OPEN_TIMEOUT);
        try (LockGrant grant = lock.acquire(OPEN_TIMEOUT)) {
            withConnection(grant, deadline, OPEN_TIMEOUT, connection -> {
                connection.setAutoCommit(false);
                Schema.create(connection);
                commitWhileHeld(grant, connection);
                return null;
            });
        }
    }

    /**
     * Opens a connection, runs {@code body} on it and closes it on every path before returning, so that the caller
     * may release the grant: DuckDB keeps the file locked until its last connection closes. When the body fails,
     * its open transaction is rolled back.
     */
    private <T> T withConnection(LockGrant grant, long deadline, Duration timeout, ConnectionBody<T> body)
            throws IOException, InterruptedException {
        Connection connection = database.connect(deadline, timeout);
        T result;
        try {
            result = body.run(connection);
        } catch (SQLException e) {
            StoreException failure = new StoreException("DuckDB failed on " + database.path() + ": " + e.getMessage(), e);
            rollbackAndClose(connection, failure);
            throw failure;
        } catch (IOException | RuntimeException | Error e) {
            rollbackAndClose(connection, e);
            throw e;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            // Committed means durable (it is in the write-ahead log); failing now would invite a retry that
            // applies the work twice. What failed is the checkpoint on close, which the next open repeats.
            LOG.log(System.Logger.Level.WARNING, "Closing " + database.path() + " after a commit failed", e);
        }
        return result;
    }

    /** Commits only while the grant is provably still held: a write under a lost lock must not become durable. */
    private static void commitWhileHeld(LockGrant grant, Connection connection) throws SQLException, LockLostException {
        grant.ensureValid();
        connection.commit();
    }

    private static void rollbackAndClose(Connection connection, Throwable failure) {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
        try {
            connection.close();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    private static long deadlineAfter(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("Lock timeout must not be negative: " + timeout);
        }
        return System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
    }

    /** UTF-8 length of well-formed text, counted without encoding it. */
    private static long utf8Length(String text, String what) {
        long length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                length += 1;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                       && Character.isLowSurrogate(text.charAt(i + 1))) {
                length += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidEntryException(what + " has an unpaired UTF-16 surrogate at index " + i
                                                + "; it cannot be stored as UTF-8 unchanged");
            } else {
                length += 3;
            }
        }
        return length;
    }

    private static void refuseAsLockFile(DatabaseFile database, Path lockFile) throws StoreException {
        if (database.isOwnFile(lockFile)) {
            throw new StoreException("The lock file " + lockFile + " is the database file or its write-ahead log;"
                                     + " DuckDB locks and rewrites those itself: use a separate file such as "
                                     + StoreSettings.defaultLockFile(database.path()));
        }
    }

    private static void register(Path database, Path lockFile) throws StoreException {
        synchronized (OPEN_DATABASES) {
            Registration existing = OPEN_DATABASES.get(database);
            if (existing != null && !existing.lockFile().equals(lockFile)) {
                throw new StoreException("The database " + database + " is already open in this JVM with the lock file "
                                         + existing.lockFile() + "; a second lock file (" + lockFile
                                         + ") would let two writers in at once");
            }
            OPEN_DATABASES.put(database, new Registration(lockFile, existing == null ? 1 : existing.stores() + 1));
        }
    }

    private static void unregister(Path database) {
        synchronized (OPEN_DATABASES) {
            Registration existing = OPEN_DATABASES.get(database);
            if (existing.stores() == 1) {
                OPEN_DATABASES.remove(database);
            } else {
                OPEN_DATABASES.put(database, new Registration(existing.lockFile(), existing.stores() - 1));
            }
        }
    }

    /** The lock file shared by the open stores of one database, and how many they are. */
    private record Registration(Path lockFile, int stores) {
    }

    /** What a work returned, and the fencing token it ran under. */
    private record Fenced<T>(T result, long token) {
    }

    /** What runs on the connection of {@link #withConnection}. */
    @FunctionalInterface
    private interface ConnectionBody<T> {
        T run(Connection connection) throws SQLException, IOException;
    }
}
