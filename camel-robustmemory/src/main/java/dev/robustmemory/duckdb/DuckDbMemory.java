package dev.robustmemory.duckdb;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockEvent;
import dev.robustmemory.duckdb.lock.LockException;
import dev.robustmemory.duckdb.lock.LockLostException;
import dev.robustmemory.duckdb.lock.NamedLocks;
import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.SessionRules;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;

/**
 * A key/value memory in one DuckDB file, shared by every thread and process on a host that opens the same file,
 * every access under the {@link CrossProcessLock} of its lock file.
 *
 * <p><b>A lease, not a lock per call.</b> DuckDB lets one process at a time open a file for writing, and opening and
 * closing it costs some 20 ms. So all stores of one database in a JVM share one {@link DatabaseLease}: a thread that
 * holds the lock (and DuckDB, when a work needs it) while work keeps coming and nobody else waits, runs the queued works in
 * batches (one transaction, one commit each), and hands over promptly when another process waits. A caller's work
 * still runs under the lock, in a transaction; its outcome is returned only after the commit.
 *
 * <p><b>Fencing.</b> Every lease increments a counter in the journal's header and syncs it before any work runs (so
 * no two grants ever share a token, even when a batch rolls back, its process dies or the power fails) and publishes
 * it in the lock's owner record; every row written records it. Before committing, a batch checks that the lock is still
 * held and the counter is still its own, and otherwise commits nothing ({@link LockLostException}).
 *
 * <p><b>Another program holding the file.</b> A program that opens the database without this lock makes DuckDB
 * refuse the open ("Could not set lock on file ... Conflicting lock is held in ... (PID n)"); {@link #execute}
 * retries until its timeout, then fails with a {@link StoreException} saying so.
 *
 * <p><b>Instances.</b> Several instances on one database may coexist in a JVM (say, with different value size
 * limits); they share the lease, so they never compete with each other. Opening one with a different lock file than
 * an open instance in this JVM is refused. (Processes that disagree on the lock file are stopped by DuckDB's own
 * file lock, reported as above.)
 */
public final class DuckDbMemory implements Memory {

    /** Longest key accepted, in characters (UTF-16 code units, {@link String#length()}). */
    public static final int MAX_KEY_LENGTH = SessionRules.MAX_KEY_LENGTH;

    /** Lock file of every open store, by real database path; guarded by itself. */
    private static final Map<Path, Registration> OPEN_DATABASES = new HashMap<>();
    private static final System.Logger LOG = System.getLogger(DuckDbMemory.class.getName());

    private final StoreSettings settings;
    private final Path database;
    private final CrossProcessLock lock;
    private final Registration registration;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The memory's named locks, for fenced writes: opened by the first one. Guarded by "this". */
    private NamedLocks namedLocks;

    private DuckDbMemory(StoreSettings settings, Path database, CrossProcessLock lock, Registration registration) {
        this.settings = settings;
        this.database = database;
        this.lock = lock;
        this.registration = registration;
    }

    /**
     * Opens the memory without taking its lock or opening the database: validates the paths, creates missing
     * directories and the lock file. The first operation opens the database, under its own lock timeout, checks that
     * it is a DuckDB database of this library, and creates the tables when absent, so that opening never waits for
     * another process.
     *
     * @throws StoreException for {@code :memory:} or another special name, a database path that is a directory or
     *                        not writable, a directory at the journal's path, a lock file that is the database itself,
     *                        or a lock file other than that of a store already open on the same database in this JVM
     * @throws LockException  when the lock file cannot be used (a directory, permission denied, network file system)
     */
    public static DuckDbMemory open(StoreSettings settings) throws StoreException, LockException {
        return open(settings, Clock.systemUTC());
    }

    /**
     * As {@link #open(StoreSettings)}, with the wall clock that expiry is decided by ({@link MemorySession#nowMicros()}):
     * the processes of a memory must share one, so anything but the system clock is for tests. The first store of a
     * database in this JVM chooses it for all the others.
     */
    public static DuckDbMemory open(StoreSettings settings, Clock wallClock) throws StoreException, LockException {
        Objects.requireNonNull(wallClock, "wallClock");
        DatabaseFile database = DatabaseFile.prepare(settings.database(),
                settings.lockFileSettings().filePermissions());
        refuseNetworkFileSystem(database, settings);
        refuseAsLockFile(database, DatabaseFile.canonical(settings.lockFile())); // before the lock creates the file
        CrossProcessLock lock = CrossProcessLock.open(settings.lockFile(), settings.lockFileSettings());
        try {
            refuseAsLockFile(database, lock.path()); // a symbolic link may have led there
            return new DuckDbMemory(settings, database.path(), lock, register(database, lock, wallClock));
        } catch (StoreException | RuntimeException e) {
            lock.close();
            throw e;
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
    @Override
    public void checkKey(String key) {
        SessionRules.checkKey(key);
    }

    /**
     * @throws InvalidEntryException for a value larger than maxValueSize (UTF-8 bytes for text), or text with an
     *                               unpaired surrogate (it cannot be stored as UTF-8 unchanged)
     */
    @Override
    public void checkValue(StoredValue value) {
        SessionRules.checkValue(value, settings.maxValueSize());
    }

    /**
     * Runs work under one grant in one transaction; commits when it returns, rolls back when it throws.
     *
     * @param lockTimeout how long to wait, in all, for the lock and for a program holding the database file without
     *                    it; zero tries each once
     * @throws dev.robustmemory.duckdb.lock.LockTimeoutException when the lock stayed held for the whole timeout
     * @throws LockLostException    when the lock or the fencing token was lost before the commit; nothing was written
     * @throws LockException        when the lock file cannot be used
     * @throws StoreException       when the work threw it (nothing was written), or the database could not be opened
     *                              (not a DuckDB file, held by another program for the whole timeout) or written
     * @throws InterruptedException when interrupted while waiting; nothing is held and nothing was written
     */
    @Override
    public <T> Outcome<T> execute(Duration lockTimeout, MemoryWork<T> work) throws IOException, InterruptedException {
        checkCall(lockTimeout, work);
        return registration.lease().execute(this, lockTimeout, work);
    }

    /**
     * As {@link #execute}, without a thread waiting: the work is queued for the same lease, under the same lock
     * timeout, and the returned stage completes with its outcome or with the exception {@code execute} would have
     * thrown (an interrupt aside: nothing waits that could be interrupted). A work that has started is never
     * abandoned at the timeout, since it may already have committed, so every work gets exactly one outcome.
     *
     * <p>The stage is completed by a task on {@code completions}, never on the lease thread: a continuation that
     * waited for this memory there would wait for itself. Only when {@code completions} rejects the task (it was
     * shut down) does the thread that decided the outcome complete the stage, so that it completes in any case.
     * Completing or cancelling the returned stage does not affect the work.
     *
     * @param completions runs the task that completes the returned stage; give it room for every caller in flight
     * @throws IllegalArgumentException for a negative timeout
     * @throws IllegalStateException    when the store is closed, or when called by a work (use its session)
     */
    @Override
    public <T> CompletionStage<Outcome<T>> executeAsync(Duration lockTimeout, MemoryWork<T> work,
                                                        Executor completions) {
        checkCall(lockTimeout, work);
        Objects.requireNonNull(completions, "completions");
        return registration.lease().executeAsync(this, lockTimeout, work, completions);
    }

    private void checkCall(Duration lockTimeout, MemoryWork<?> work) {
        Objects.requireNonNull(work, "work");
        if (lockTimeout.isNegative()) {
            throw new IllegalArgumentException("Lock timeout must not be negative: " + lockTimeout);
        }
        if (closed.get()) {
            throw new IllegalStateException("The memory store for " + database + " is closed");
        }
    }

    /**
     * What this JVM's lease found when it took the lock and overwrote the owner record: a holder that died holding
     * the lock ({@link LockEvent.Type#ORPHANED}) or an unreadable record ({@link LockEvent.Type#CORRUPT}), both now
     * cleaned. No inspection of the lock file can find them afterwards, so they are kept (the latest thousand) until
     * collected here; each is returned by one call only, whichever store of the database makes it.
     */
    public List<LockEvent> drainTakeovers() {
        return registration.lease().drainTakeovers();
    }

    /** Lets this instance go; other instances on the same database, and work running now, are not affected. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            unregister(database); // first: the lease's grant keeps the lock file open until it is released
            lock.close();
            synchronized (this) {
                if (namedLocks != null) {
                    namedLocks.close();
                }
            }
        }
    }

    /**
     * The newest token granted for a name of this memory's named locks ({@link NamedLocks#fileFor} of the database as
     * configured, with this memory's file settings), read without the named lock: what a fenced write is checked
     * against.
     */
    long newestGrantToken(String lockName) throws StoreException {
        try {
            return namedLocks().newestToken(lockName);
        } catch (LockException e) {
            throw new StoreException("Cannot read the newest token of the named lock '" + lockName + "': "
                                     + e.getMessage(), e);
        }
    }

    private synchronized NamedLocks namedLocks() throws LockException {
        if (namedLocks == null) {
            if (closed.get()) { // a work still running after close: opening now would leave the file open
                throw new IllegalStateException("The memory store for " + database + " is closed");
            }
            namedLocks = NamedLocks.open(NamedLocks.fileFor(settings.database()), settings.lockFileSettings());
        }
        return namedLocks;
    }

    /** How many works wait in the lease's queue: lets tests line works up behind a busy lease. */
    int queuedWorks() {
        return registration.lease().queuedWorks();
    }

    /** Makes tests able to see the retries while another program holds the database file. */
    void onDatabaseHeldByAnotherProgram(Runnable listener) {
        registration.database().onHeldByAnotherProgram(listener);
    }

    /** A local lock file does not make DuckDB's file safe on a file system whose record locks are not. */
    private static void refuseNetworkFileSystem(DatabaseFile database, StoreSettings settings) throws StoreException {
        Optional<String> type;
        try {
            type = CrossProcessLock.networkFileSystemType(database.path().getParent());
        } catch (IOException e) {
            throw new StoreException("Cannot tell the file system of " + database.path() + ": " + e, e);
        }
        if (type.isPresent() && !settings.lockFileSettings().allowNetworkFileSystem()) {
            throw new StoreException("The database " + database.path() + " is on a '" + type.get() + "' file system,"
                                     + " where file locks (DuckDB's own too) can be granted to two processes at once;"
                                     + " use a local file system or set allowNetworkFileSystem=true if you accept"
                                     + " that risk");
        }
    }

    private static void refuseAsLockFile(DatabaseFile database, Path lockFile) throws StoreException {
        if (database.isOwnFile(lockFile)) {
            throw new StoreException("The lock file " + lockFile + " is the database file, its write-ahead log or the"
                                     + " memory's journal; those are locked and rewritten under the lock: use a"
                                     + " separate file such as "
                                     + StoreSettings.defaultLockFile(database.path()));
        }
    }

    /** Joins (or starts) the lease of the database; refuses a second lock file for one database. */
    private static Registration register(DatabaseFile database, CrossProcessLock lock, Clock wallClock)
            throws StoreException {
        synchronized (OPEN_DATABASES) {
            Registration existing = OPEN_DATABASES.get(database.path());
            if (existing == null) {
                Registration first = new Registration(database, lock, new DatabaseLease(database, lock, wallClock), 1);
                OPEN_DATABASES.put(database.path(), first);
                return first;
            }
            if (!existing.lock().path().equals(lock.path())) {
                throw new StoreException("The database " + database.path() + " is already open in this JVM with the"
                                         + " lock file " + existing.lock().path() + "; a second lock file ("
                                         + lock.path() + ") would let two writers in at once");
            }
            Registration joined = existing.withStores(existing.stores() + 1);
            OPEN_DATABASES.put(database.path(), joined);
            return joined;
        }
    }

    private static void unregister(Path database) {
        DatabaseLease ended = null;
        synchronized (OPEN_DATABASES) {
            Registration existing = OPEN_DATABASES.get(database);
            if (existing.stores() == 1) {
                OPEN_DATABASES.remove(database);
                ended = existing.lease();
            } else {
                OPEN_DATABASES.put(database, existing.withStores(existing.stores() - 1));
            }
        }
        if (ended != null) {
            ended.stop(); // outside the registry's monitor: it waits for the current batch
        }
    }

    /** The lease shared by the open stores of one database, and how many they are. */
    private record Registration(DatabaseFile database, CrossProcessLock lock, DatabaseLease lease, int stores) {

        Registration withStores(int count) {
            return new Registration(database, lock, lease, count);
        }
    }
}
