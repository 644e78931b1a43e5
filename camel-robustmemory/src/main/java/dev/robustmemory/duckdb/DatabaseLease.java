package dev.robustmemory.duckdb;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockEvent;
import dev.robustmemory.duckdb.lock.LockException;
import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockLostException;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.duckdb.lock.OwnerRecord;
import dev.robustmemory.duckdb.lock.OwnerRecordReading;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoreException;

/**
 * This JVM's lease on one database: a thread that takes the cross-process lock when there is work, keeps it while
 * work keeps coming and nobody else waits, and runs queued works in batches, one transaction and one commit per
 * batch. DuckDB is opened only by a lease that needs it (a cache miss, keys, size, clear, applying the journal), and
 * closed, which checkpoints its write-ahead log, when the lease ends; most leases only touch the lock file and the
 * journal.
 *
 * <p><b>Hand-off.</b> Waiting processes announce themselves on the lock file ({@link LockGrant#othersWaiting()}). An
 * idle lease is released after {@value #IDLE_WHILE_OTHERS_WAIT_MILLIS} ms without work when someone waits (checked
 * every {@value #PROBE_MICROS} µs; shorter would hand over between a caller's answer and its next call, and a
 * hand-off costs far more) and after {@value #IDLE_RELEASE_MILLIS} ms anyway. A busy lease is handed over after its
 * current batch once it has lasted {@value #MIN_TENURE_MILLIS} ms and someone waits, and is renewed (released and
 * taken again, so that others get a chance and the owner record stays fresh) after {@value #MAX_TENURE_MILLIS} ms in
 * any case.
 *
 * <p><b>Acknowledged means durable.</b> A work's caller learns its outcome only after the batch's commit: its writes
 * synced to the {@link WriteAheadJournal} (one write and one {@code fsync} per batch), or committed to DuckDB when the
 * batch applies the journal. Each lease starts by reading what the others journaled since this JVM last looked, so
 * the writes DuckDB lacks are answered from memory here as everywhere. The journal is applied to DuckDB, in bulk and
 * in one transaction, once {@value #APPLY_AFTER_KEYS} keys are pending or it is full, by a batch that writes through
 * SQL (clear) or needs SQL to see every key (keys, size), when a lease ends idle with nobody waiting, and when the
 * store closes. A killed holder's acknowledged writes are in the journal, where every next holder finds them.
 *
 * <p><b>Isolation.</b> The works of a batch start together, under the lock; a work whose caller gave up before
 * (its deadline, an interrupt) never runs, and one that has started always runs to its outcome. A work that fails
 * without having written (a version conflict, a non-numeric increment, a refused value) fails alone. A work that
 * fails after writing, or after an SQL error that aborts DuckDB's transaction, makes the batch roll back; its works
 * then run again one by one, each in its own transaction, and the revisions the batch took are given again.
 *
 * <p><b>Deadlines.</b> A caller's lock timeout bounds its whole wait before its work starts: for the lock, for
 * another program holding the database file, and for this JVM's batches ahead of it ({@link QueuedWork}).
 *
 * <p><b>Fencing.</b> Each lease takes a new fencing token from the journal's header ({@link WriteAheadJournal#claim},
 * synced before use), publishes it in the lock's owner record, and checks before every commit that the lock is still
 * held and the token still the journal's; a commit that writes DuckDB also checks that DuckDB was written under no
 * later token, and records its own there.
 *
 * <p><b>What this JVM knows.</b> Its {@link EntryCache} and the journal's pending writes stay true across leases: the
 * others' writes since are in the journal, read at the start of each lease. When the journal was started over after
 * an apply that wrote only what this JVM had read, what it knows still holds; when it missed batches, or DuckDB was
 * written directly (a clear), it forgets both and reads the journal again.
 */
final class DatabaseLease {

    static final long PROBE_MICROS = 500;
    static final long IDLE_RELEASE_MILLIS = 10;
    static final long IDLE_WHILE_OTHERS_WAIT_MILLIS = 2;
    static final long MIN_TENURE_MILLIS = 5;
    static final long MAX_TENURE_MILLIS = 1000;
    static final long HAND_OVER_WAIT_MILLIS = 5;
    private static final int MAX_BATCH = 256;
    /** Apply the journal once this many keys are pending: bounds the memory they take and the next apply's time. */
    static final int APPLY_AFTER_KEYS = 4096;
    private static final int MAX_KEPT_TAKEOVERS = 1000;
    static final long LINGER_MICROS = 200;
    /** How long the lease thread waits for the lock before it looks again for reads it can answer without it. */
    private static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long RECLAIM_PERIOD_MICROS = 1_000_000;
    private static final int RECLAIM_MAX_ROWS = 10_000;
    private static final System.Logger LOG = System.getLogger(DatabaseLease.class.getName());

    private final DatabaseFile database;
    private final CrossProcessLock lock;
    private final LinkedBlockingQueue<QueuedWork<?>> queue = new LinkedBlockingQueue<>();
    private final EntryCache cache = new EntryCache();
    private final RevisionClock revisions = new RevisionClock();
    private final ExpiryClock expiryClock;
    /** The journal's writes DuckDB lacks, as of {@link #journalRead}. */
    private final Map<String, PendingWrite> journaled = new LinkedHashMap<>();
    /** Every change of {@link #journaled}, oldest first: what the change log lacks. */
    private final List<PendingWrite> journaledChanges = new ArrayList<>();
    private final ConcurrentLinkedQueue<LockEvent> takeovers = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    /** The works taken from the queue for the current batch: whatever happens, each gets an outcome. */
    private final List<QueuedWork<?>> inHand = new ArrayList<>();
    private volatile boolean waitingForLock;
    /** DuckDB's refusal while another program holds the database file and this lease retries; null otherwise. */
    private volatile String databaseHeldBy;
    /** Until when the lease thread retries while another program holds the database file. */
    private volatile long connectDeadlineNanos;
    private volatile boolean runningBatch;
    private volatile boolean stopping;

    // The lease, touched by the lease thread only.
    private LockGrant grant;
    private Connection connection;
    private DuckDbSession session;
    private WriteAheadJournal journal;
    /** How far this JVM has read the journal; null when what it knows must be read again. */
    private WriteAheadJournal.Position journalRead;
    /** The database file (its identity) whose tables were checked; a file replaced at the path is checked again. */
    private Object schemaCheckedFor;
    /** Set when the lease ended because others waited: let one of them in before competing again. */
    private boolean handingOver;
    /** How many works the previous batch had: about how many callers are active. */
    private int lastBatchSize;
    /** Until when, and within which timeout, opening DuckDB may wait for another program: the running work's. */
    private long sqlDeadlineNanos;
    private Duration sqlTimeout = Duration.ZERO;
    /** Whether this lease tried to read the table whole into the cache already. */
    private boolean filledCacheThisLease;
    /** The memory's time when expired rows were last reclaimed. */
    private long lastReclaimMicros = Long.MIN_VALUE / 2;

    DatabaseLease(DatabaseFile database, CrossProcessLock lock, Clock wallClock) {
        this.database = database;
        this.lock = lock;
        this.expiryClock = new ExpiryClock(wallClock);
        this.thread = new Thread(this::serve, "robustmemory-lease-" + database.path().getFileName());
        thread.setDaemon(true);
        thread.start();
    }

    <T> Outcome<T> execute(DuckDbMemory caller, Duration timeout, MemoryWork<T> work)
            throws IOException, InterruptedException {
        refuseReentrantUse();
        if (Thread.interrupted()) {
            throw new InterruptedException("Interrupted before the work was queued; it never ran");
        }
        return enqueue(caller, timeout, work).await(this);
    }

    <T> CompletionStage<Outcome<T>> executeAsync(DuckDbMemory caller, Duration timeout, MemoryWork<T> work,
                                                 Executor completions) {
        refuseReentrantUse();
        return enqueue(caller, timeout, work).answerOn(this, completions);
    }

    private void refuseReentrantUse() {
        if (Thread.currentThread() == thread) {
            // It would wait for itself until its timeout: refuse loudly instead.
            throw new IllegalStateException("Re-entrant use: a work called execute on the memory " + database.path()
                                            + "; use the session the work was given");
        }
    }

    private <T> QueuedWork<T> enqueue(DuckDbMemory caller, Duration timeout, MemoryWork<T> work) {
        QueuedWork<T> queued = new QueuedWork<>(caller, work, timeout);
        queue.add(queued);
        // Not taken back once the lease thread has it: it runs, or fails as closed, and its caller learns which.
        if (stopping && queue.remove(queued)) {
            throw new IllegalStateException("The memory store for " + database.path() + " is closed");
        }
        return queued;
    }

    int queuedWorks() {
        return queue.size();
    }

    Path lockFile() {
        return lock.path();
    }

    /** Whether the lease thread still takes work; when it does not, a queued work will never run. */
    boolean isServing() {
        return thread.isAlive() && !stopping;
    }

    /** Whether the lease thread is waiting for the lock right now, so a caller's deadline means a real timeout. */
    boolean isWaitingForLock() {
        return waitingForLock;
    }

    /**
     * What the caller of {@code work} is told when it gives up now while the lease thread holds the lock but waits
     * for another program to let go of the database file; null when it does not wait, or waits until this work's
     * deadline (it then fails the work itself, after letting go of the lock).
     */
    DatabaseHeldException databaseHeldFailure(QueuedWork<?> work) {
        String refusal = databaseHeldBy;
        if (refusal == null || work.deadlineNanos() - connectDeadlineNanos >= 0) {
            return null;
        }
        return database.heldFailure(work.timeout(), refusal, null);
    }

    /** Whether the lease thread runs a batch right now: the lock is held for this JVM's other works. */
    boolean isRunningBatch() {
        return runningBatch;
    }

    OwnerRecordReading ownerRecord() {
        try {
            return lock.readOwnerRecord();
        } catch (LockException e) {
            return OwnerRecordReading.corrupt("", "unreadable: " + e.getMessage());
        }
    }

    /** Stops the lease thread after its current batch; works still queued fail. */
    void stop() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void serve() {
        try {
            while (!stopping) {
                inHand.clear();
                try {
                    serveNextBatch();
                } catch (InterruptedException e) {
                    // Only stop() interrupts this thread (a work's own interrupt is cleared after it runs).
                    endLease(true);
                    failInHand(new StoreException("The memory store for " + database.path() + " is closing"));
                } catch (RuntimeException | Error e) {
                    // A bug or an Error here (out of memory, a class that failed to load) must not leave callers
                    // waiting forever, the lock held, or the memory dead in this JVM: fail what is in hand, go on.
                    LOG.log(System.Logger.Level.ERROR, "The lease thread of " + database.path() + " failed", e);
                    endLease();
                    failInHand(e);
                }
            }
        } finally {
            endLease(true); // a closed store leaves DuckDB holding every write
            closeJournal();
            IllegalStateException closed =
                    new IllegalStateException("The memory store for " + database.path() + " is closed");
            failInHand(closed);
            for (QueuedWork<?> left; (left = queue.poll()) != null; ) {
                left.fail(closed);
            }
        }
    }

    /** Fails the works taken from the queue and not answered yet (answered ones ignore a second outcome). */
    private void failInHand(Throwable failure) {
        inHand.forEach(work -> work.fail(failure));
        inHand.clear();
    }

    private void serveNextBatch() throws InterruptedException {
        List<QueuedWork<?>> batch = nextBatch();
        if (batch == null) {
            handingOver = othersWait();
            endLease(!handingOver); // idle: applying costs nobody anything unless someone waits
            return;
        }
        if (grant == null) {
            answerWithoutLock(batch);
        }
        if (batch.isEmpty() || (grant == null && !beginLease(batch))) {
            return;
        }
        runBatch(batch);
        if (grant != null && handOverDue()) {
            endLease(!handingOver); // a renewal may be followed by no work at all: leave DuckDB holding it all
        }
    }

    /**
     * The next works to run: waits for one without a lease; with a lease, waits in short probes and returns null
     * when the lease should go (someone waits, or it idled too long). Cancelled works are dropped.
     */
    private List<QueuedWork<?>> nextBatch() throws InterruptedException {
        List<QueuedWork<?>> batch = inHand;
        if (grant == null) {
            batch.add(queue.take());
        } else {
            long idleSince = System.nanoTime();
            QueuedWork<?> next;
            while ((next = queue.poll(PROBE_MICROS, TimeUnit.MICROSECONDS)) == null) {
                long idle = System.nanoTime() - idleSince;
                if (idle >= TimeUnit.MILLISECONDS.toNanos(IDLE_RELEASE_MILLIS)
                        || (idle >= TimeUnit.MILLISECONDS.toNanos(IDLE_WHILE_OTHERS_WAIT_MILLIS) && othersWait())) {
                    return null;
                }
            }
            batch.add(next);
        }
        queue.drainTo(batch, MAX_BATCH - batch.size());
        awaitReturningCallers(batch);
        batch.removeIf(QueuedWork::isCancelled);
        lastBatchSize = batch.size();
        return batch;
    }

    /**
     * Group commit's one wait: the callers the previous batch answered usually come back within microseconds, and
     * one commit for all of them costs less than one each. So while fewer works are here than the previous batch
     * had, this waits for more, {@value #LINGER_MICROS} µs at most. A lone caller never waits.
     */
    private void awaitReturningCallers(List<QueuedWork<?>> batch) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(LINGER_MICROS);
        while (batch.size() < Math.min(lastBatchSize, MAX_BATCH)) {
            long remaining = deadline - System.nanoTime();
            QueuedWork<?> more = remaining > 0 ? queue.poll(remaining, TimeUnit.NANOSECONDS) : null;
            if (more == null) {
                return;
            }
            batch.add(more);
            queue.drainTo(batch, MAX_BATCH - batch.size());
        }
    }

    /**
     * Takes the lock and the journal for the batch; false when every work gave up or it failed. DuckDB is opened only
     * when this JVM does not know the journal and the database file yet, or the journal's record of what DuckDB holds
     * was left stale by a holder that died applying: otherwise a grant costs a few system calls on the lock file and
     * the journal's header.
     */
    private boolean beginLease(List<QueuedWork<?>> batch) throws InterruptedException {
        try {
            grant = awaitGrant(batch);
            if (grant == null) {
                return false;
            }
            noteTakeover(); // now: the owner record is overwritten even if the rest of the start fails
            QueuedWork<?> patient = latestDeadline(batch);
            sqlDeadlineNanos = patient.deadlineNanos();
            sqlTimeout = patient.timeout();
            Schema.JournalState state = journalStillUsable() ? null : openJournal(batch);
            long token = journal.claim();
            grant.publishFencingToken(token);
            if (state == null && journal.needsDatabaseState()) {
                state = Schema.journalState(connection(batch));
            }
            if (state != null) {
                journal.recordDatabaseState(state.appliedSeq(), state.revision());
            }
            catchUp(journal.catchUp(journalRead));
            revisions.observe(journal.appliedRevision());
            session = DuckDbSession.begin(this::sqlConnection, token, cache, journaled, journaledChanges, revisions,
                    expiryClock);
            if (journaled.isEmpty() && !journal.isEmpty()) {
                journal.startOver(revisions.current(), true); // all applied (its applier died before starting over)
            }
            return true;
        } catch (IOException | SQLException | RuntimeException e) {
            IOException failure = asIoException(e, "open");
            endLease(); // before telling the callers: once they know, the lock is free
            batch.forEach(work -> work.fail(failure));
            return false;
        }
    }

    /** Whether the journal this JVM has open, and the database file it checked, are still those at their paths. */
    private boolean journalStillUsable() {
        try {
            return journal != null && journal.isStillAtPath() && database.identity().equals(schemaCheckedFor);
        } catch (IOException e) {
            return false; // the database file is gone: opening it again tells what happened
        }
    }

    /**
     * Opens the database, checks its tables when the file is new to this JVM, and opens the journal it knows:
     * returns what the database says of the journal.
     */
    private Schema.JournalState openJournal(List<QueuedWork<?>> batch)
            throws IOException, SQLException, InterruptedException {
        if (journal != null) {
            journal.close();
            journal = null;
        }
        Connection opened = connection(batch);
        Object file = database.identity();
        if (!file.equals(schemaCheckedFor)) {
            Schema.create(opened);
            schemaCheckedFor = file;
            journalRead = null; // what this JVM knew was of another file
        }
        Schema.JournalState state = Schema.journalState(opened);
        journal = database.openJournal(opened, state);
        return state;
    }

    /**
     * The lease's DuckDB connection, opened when first needed, in manual-commit mode; while another program holds
     * the file, retries until the deadline of the work that needs it, or as long as a work of {@code batch} waits.
     */
    private Connection connection(List<QueuedWork<?>> batch) throws StoreException, InterruptedException, SQLException {
        if (connection == null) {
            connectDeadlineNanos = sqlDeadlineNanos;
            try {
                connection = database.connect(sqlDeadlineNanos, sqlTimeout, refusal -> {
                    databaseHeldBy = refusal; // the other works' callers give up at their own deadlines meanwhile
                    return batch.stream().anyMatch(work -> !work.isCancelled());
                });
            } finally {
                databaseHeldBy = null;
            }
            connection.setAutoCommit(false);
        }
        return connection;
    }

    /**
     * The connection for the session's SQL: works that need DuckDB open it, within their own timeouts. A small table
     * is read whole into the cache the first time, so that this JVM rarely needs DuckDB again.
     */
    private Connection sqlConnection() throws StoreException {
        try {
            Connection opened = connection(inHand);
            if (!cache.isComplete() && !filledCacheThisLease) {
                filledCacheThisLease = true;
                // Once this transaction applied the journaled writes they are in its rows, and what happened to them
                // since (a clear) only the rows know: laid over them, they would come back.
                DuckDbSession.fillCache(opened, cache, session != null && session.writesToDatabase() ? Map.of()
                                                                                                   : journaled);
            }
            return opened;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("Interrupted while opening the DuckDB database " + database.path(), e);
        } catch (SQLException e) {
            throw new StoreException("Cannot open the DuckDB database " + database.path() + ": " + e.getMessage(), e);
        }
    }

    /** Learns the others' writes: the journal's record of a key is newer than anything this JVM knew of it. */
    private void catchUp(WriteAheadJournal.CatchUp read) {
        switch (read.continuity()) {
            case RESTARTED -> {
                cache.clear();
                journaled.clear();
                journaledChanges.clear();
            }
            case AFTER_APPLY -> { // what it knew is in DuckDB now, and still true
                journaled.clear();
                journaledChanges.clear();
            }
            case ONWARD -> { }
        }
        for (PendingWrite write : read.writes()) {
            journaled.put(write.key(), write);
            journaledChanges.add(write);
            cache.put(write.key(), write.entry());
            revisions.observe(write.revision());
        }
    }

    /**
     * This grant overwrote the previous owner record: if it told of a holder that died holding the lock, or could
     * not be read, nobody can see that on disk any more, so it is kept for {@link #drainTakeovers()}.
     */
    private void noteTakeover() {
        OwnerRecordReading previous = grant.previousRecord();
        Instant now = Instant.now();
        LockEvent event;
        if (grant.previousHolderDied()) {
            event = new LockEvent(LockEvent.Type.ORPHANED, lock.path(), previous,
                    Duration.between(previous.record().acquiredAt(), now), true, now);
        } else if (previous.isCorrupt()) {
            event = new LockEvent(LockEvent.Type.CORRUPT, lock.path(), previous, null, true, now);
        } else {
            return;
        }
        if (takeovers.size() >= MAX_KEPT_TAKEOVERS) {
            takeovers.poll(); // nobody collects them: keep the latest
        }
        takeovers.add(event);
    }

    /** The takeovers noticed since the last call, oldest first; each is returned once. */
    List<LockEvent> drainTakeovers() {
        List<LockEvent> drained = new ArrayList<>();
        for (LockEvent event; (event = takeovers.poll()) != null; ) {
            drained.add(event);
        }
        return drained;
    }

    /**
     * Waits for the lock until the most patient work's deadline. Callers time out on their own (see
     * {@link QueuedWork#await}); this thread only keeps trying while some work still wants the lock.
     */
    private LockGrant awaitGrant(List<QueuedWork<?>> batch) throws LockException, InterruptedException {
        if (handingOver) {
            letAWaiterIn();
        }
        try {
            return lock.acquire(Duration.ZERO);
        } catch (LockTimeoutException busy) {
            batch.forEach(QueuedWork::markLockAttempted);
        }
        waitingForLock = true; // from here on, a caller's deadline means the lock really was busy
        try {
            while (true) {
                batch.removeIf(QueuedWork::isCancelled);
                queue.drainTo(batch, MAX_BATCH - batch.size()); // works that came meanwhile wait along
                answerWithoutLock(batch);
                if (batch.isEmpty()) {
                    return null;
                }
                long remaining = latestDeadline(batch).deadlineNanos() - System.nanoTime();
                try {
                    return lock.acquire(Duration.ofNanos(Math.max(0, Math.min(remaining, WAIT_SLICE_NANOS))));
                } catch (LockTimeoutException e) {
                    batch.forEach(QueuedWork::markLockAttempted);
                    if (remaining <= 0) {
                        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50)); // their callers cancel them now
                    }
                }
            }
        } finally {
            waitingForLock = false;
        }
    }

    /**
     * After handing over, this JVM would win the lock back at once: its waiters poll, it does not. So it waits until
     * the owner record names another holder, for {@value #HAND_OVER_WAIT_MILLIS} ms at most (a waiter that gave up
     * meanwhile must not stall this JVM).
     */
    private void letAWaiterIn() throws InterruptedException {
        handingOver = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HAND_OVER_WAIT_MILLIS);
        long me = ProcessHandle.current().pid();
        while (System.nanoTime() < deadline) {
            OwnerRecordReading holder = ownerRecord();
            if (holder.record() != null && holder.record().holder().pid() != me
                    && holder.record().state() == OwnerRecord.State.HELD) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /**
     * Runs the batch's works in one transaction. They all start together, under the lock: from here on their callers
     * wait for their outcomes, and the callers of works still queued behind this batch may give up at their deadlines
     * ({@link #isRunningBatch()}). A work whose caller gave up first never runs.
     */
    private void runBatch(List<QueuedWork<?>> batch) {
        batch.removeIf(work -> !work.start());
        runningBatch = true;
        expiryClock.beginBatch(journal.clockMark(), false);
        try {
            long startNanos = System.nanoTime();
            List<Ran<?>> ran = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Ran<?> result = run(batch.get(i));
                if (result.failure() != null && session.workSpoiledTransaction()) {
                    rollback();
                    batch.forEach(this::runAlone); // those before it ran in the rolled-back transaction: again
                    return;
                }
                ran.add(result);
            }
            commit(ran, startNanos);
        } finally {
            runningBatch = false;
        }
    }

    /** After a spoiled batch: each of its works alone, in its own transaction. */
    private void runAlone(QueuedWork<?> work) {
        if (session == null) {
            work.fail(new StoreException("The lease on " + database.path() + " ended after a failed batch"));
            return;
        }
        runningBatch = true;
        long startNanos = System.nanoTime();
        Ran<?> result = run(work);
        if (result.failure() != null && session.workSpoiledTransaction()) {
            rollback();
            runningBatch = false;
            work.fail(result.failure());
        } else {
            commit(List.of(result), startNanos);
        }
    }

    private <T> Ran<T> run(QueuedWork<T> work) {
        sqlDeadlineNanos = work.deadlineNanos();
        sqlTimeout = work.timeout();
        return run(work, session);
    }

    private static <T> Ran<T> run(QueuedWork<T> work, DuckDbSession on) {
        on.beginWork(work.store, work.work.onlyReads());
        try {
            return new Ran<>(work, work.work.run(on), null);
        } catch (Exception | Error e) {
            return new Ran<>(work, null, e);
        } finally {
            on.endWork();
            Thread.interrupted(); // a work that interrupted its thread meant itself, not this lease thread
        }
    }

    /**
     * Answers the batch's reading works without the lock, from what this JVM knows, when the journal shows that it
     * knows every acknowledged write ({@link WriteAheadJournal#readUnlocked}); a work that needs more stays in the
     * batch and waits for the lock. Another process may hold the lock and write meanwhile: a read answered here
     * takes effect at the moment the journal was read, after every write acknowledged before it was submitted.
     */
    private void answerWithoutLock(List<QueuedWork<?>> batch) {
        if (journal == null || journalRead == null || batch.stream().noneMatch(QueuedWork::mayRunWithoutLock)) {
            return;
        }
        Optional<WriteAheadJournal.UnlockedRead> read;
        try {
            read = journal.readUnlocked(journalRead);
        } catch (StoreException e) {
            return; // the lease reads the journal again under the lock, and reports what is wrong with it
        }
        if (read.isEmpty()) {
            return;
        }
        catchUp(read.get().catchUp());
        journalRead = read.get().position();
        revisions.observe(read.get().appliedRevision());
        WithoutDatabase refusal = new WithoutDatabase();
        DuckDbSession known = DuckDbSession.begin(refusal, read.get().holderToken(), cache, journaled,
                journaledChanges, revisions, expiryClock);
        expiryClock.beginBatch(read.get().clockMark(), true);
        batch.removeIf(work -> work.mayRunWithoutLock() && answeredWithoutLock(work, known, refusal));
    }

    /** Whether the work got its outcome (or its caller gave up); false when it must wait for the lock. */
    private <T> boolean answeredWithoutLock(QueuedWork<T> work, DuckDbSession known, WithoutDatabase refusal) {
        refusal.refused = false;
        expiryClock.takeNeededLock();
        long startNanos = System.nanoTime();
        Ran<T> ran = run(work, known);
        if (refusal.refused || expiryClock.takeNeededLock() || known.batchWrote()) {
            if (known.batchWrote()) {
                known.discardBatch();
                cache.clear(); // it may hold what the discarded writes left there
            }
            work.markNeedsLock();
            return false;
        }
        if (work.start()) { // else its caller gave up first: it never ran, as far as anyone can tell
            if (ran.failure() != null) {
                work.fail(ran.failure());
            } else {
                ran.succeed(known.fencingToken(), startNanos, System.nanoTime() - startNanos);
            }
        }
        return true;
    }

    /** The database of a session without the lock: it refuses, and remembers that the work needed it. */
    private static final class WithoutDatabase implements DuckDbSession.Database {
        private boolean refused;

        @Override
        public Connection connection() throws StoreException {
            refused = true;
            throw new StoreException("Not answerable without the lock");
        }
    }

    /** The fencing check against the journal: no later grant has claimed it. */
    private void ensureJournalHeld() throws StoreException, LockLostException {
        if (!journal.isHeldBy(session.fencingToken())) {
            throw new LockLostException(lock.path(), "the journal names a later grant than this lease's (token "
                    + session.fencingToken() + "): another writer took over");
        }
    }

    /** Commits the batch and only then tells each caller its outcome. */
    private void commit(List<Ran<?>> ran, long startNanos) {
        try {
            if (session.batchWrote()) {
                ensureJournalHeld();
            }
            if (expiryClock.consulted()) {
                journal.raiseClockMark(expiryClock.now()); // written with the state below, before any answer
            }
            if (session.writesToDatabase() || session.pendingCount() >= APPLY_AFTER_KEYS) {
                applyJournal();
            } else {
                grant.ensureValid(); // reads too: what they saw is only true if no one else could write meanwhile
                if (session.ranSql()) {
                    connection.commit();
                }
                if (session.batchChanges().isEmpty() || journal.append(session.batchChanges())) {
                    session.batchCommitted();
                } else {
                    applyJournal(); // too big for what is left of the journal: to DuckDB, with all pending writes
                }
            }
            journal.writeClockMark();
        } catch (IOException | SQLException | RuntimeException e) {
            rollback();
            if (e instanceof JournalGoneException) {
                salvageJournaledWrites();
            }
            IOException failure = asIoException(e, "commit");
            endLease(); // whatever broke the commit, the next batch starts from a fresh lease
            runningBatch = false;
            ran.forEach(result -> result.work().fail(result.failure() != null ? result.failure() : failure));
            return;
        }
        long holdNanos = System.nanoTime() - startNanos;
        // Before the answers: a caller answered now may call again at once, with a zero timeout, and must find
        // this lease free rather than busy with the batch that answered it.
        runningBatch = false;
        for (Ran<?> result : ran) {
            if (result.failure() != null) {
                result.work().fail(result.failure());
            } else {
                result.succeed(session.fencingToken(), startNanos, holdNanos);
            }
        }
    }

    private boolean handOverDue() {
        long tenure = System.nanoTime() - grant.acquiredAtNanos();
        if (tenure >= TimeUnit.MILLISECONDS.toNanos(MIN_TENURE_MILLIS) && othersWait()) {
            handingOver = true;
            return true;
        }
        return tenure >= TimeUnit.MILLISECONDS.toNanos(MAX_TENURE_MILLIS);
    }

    /** Whether to hand over; a lock file that cannot even be probed ends the lease too (the next grant reports it). */
    private boolean othersWait() {
        try {
            return grant.othersWaiting();
        } catch (LockException e) {
            LOG.log(System.Logger.Level.WARNING, "Cannot probe " + lock.path() + " for waiters", e);
            return true;
        }
    }

    private void rollback() {
        session.discardBatch();
        cache.clear(); // it may hold entries the rollback just undid
        if (connection == null) {
            return; // nothing reached DuckDB
        }
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "Rolling back on " + database.path() + " failed", e);
            endLease();
        }
    }

    /**
     * Writes every pending write to DuckDB in the current transaction together with the journal position they reach,
     * commits, and starts the journal over.
     */
    private void applyJournal() throws IOException, SQLException {
        applyPendingWrites();
        reclaimExpiredNowAndThen();
        grant.ensureValid();
        boolean direct = session.wroteDirectly();
        if (direct) {
            journal.newEpoch(); // before the commit: should this process die right after, nobody trusts stale knowledge
        }
        connection.commit();
        session.batchCommitted();
        journal.startOver(revisions.current(), !direct);
    }

    /**
     * Deletes a bounded share of the expired rows with an apply, once the memory's time moved on by
     * {@value #RECLAIM_PERIOD_MICROS} µs since the last time: the apply has DuckDB open and writes anyway, and a few
     * thousand rows more cost it a few milliseconds. The time it went by is raised into the journal's mark (the start
     * over writes it), so that no process goes by an earlier one, to which a row deleted here was still live.
     */
    private void reclaimExpiredNowAndThen() throws StoreException {
        long now = expiryClock.now();
        if (now - lastReclaimMicros >= RECLAIM_PERIOD_MICROS) {
            lastReclaimMicros = now;
            session.reclaimExpired(RECLAIM_MAX_ROWS);
            session.reclaimChanges(RECLAIM_MAX_ROWS);
            journal.raiseClockMark(now);
        }
    }

    /**
     * Writes every pending write to DuckDB in the current transaction, with the journal position, the revision they
     * reach and this lease's fencing token, once the journal and the database are checked to know no later grant.
     */
    private void applyPendingWrites() throws IOException, SQLException {
        session.applyPending();
        long token = session.fencingToken();
        ensureJournalHeld();
        long current = Schema.currentFencingToken(sqlConnection());
        if (current > token) {
            throw new LockLostException(lock.path(), "the database was written under fencing token " + current
                    + ", later than this lease's (" + token + "): another writer used it");
        }
        Schema.recordApplied(connection, journal.lastSeq(), revisions.current(), token);
    }

    /**
     * After the journal was deleted or replaced under this lease: this JVM still knows every write it held that
     * DuckDB lacks (it read them at the start of the lease, and nobody else could append since), so it applies them
     * and tells the database that no journal is owed, instead of letting the next lease report them lost.
     */
    private void salvageJournaledWrites() {
        if (session == null) {
            return; // the rollback already ended the lease
        }
        try {
            applyPendingWrites();
            Schema.recordJournalId(connection, WriteAheadJournal.NO_JOURNAL);
            grant.ensureValid();
            connection.commit();
            session.batchCommitted();
            LOG.log(System.Logger.Level.WARNING, "The journal " + journal.path() + " was deleted or replaced while in"
                    + " use; the acknowledged writes it held were applied to " + database.path() + " instead");
        } catch (IOException | SQLException | RuntimeException e) {
            if (session != null) {
                rollback();
            }
            LOG.log(System.Logger.Level.ERROR, "The journal " + journal.path() + " was deleted or replaced while in"
                    + " use, and its acknowledged writes could not be applied to " + database.path()
                    + "; the next lease reports them as possibly lost", e);
        }
    }

    /** Ends the lease after a failure: what this JVM learnt may be wrong, so the next lease reads it again. */
    private void endLease() {
        journalRead = null;
        closeJournal();
        closeLease();
    }

    private void closeJournal() {
        if (journal != null) {
            journal.close();
            journal = null;
        }
    }

    /**
     * Ends a healthy lease, applying the journal first when asked to (the database then holds every write), and
     * remembers how far this JVM has read the journal.
     */
    private void endLease(boolean apply) {
        if (session == null) {
            closeLease();
            return;
        }
        if (apply && session.pendingCount() > 0) {
            try {
                applyJournal();
            } catch (IOException | SQLException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Applying the journal to " + database.path() + " failed; the"
                        + " writes stay in " + journal.path() + " and a later lease applies them", e);
                endLease();
                return;
            }
        }
        journalRead = journal.position();
        closeLease();
    }

    /**
     * Closes the database, then releases the lock: DuckDB keeps the file locked until its last connection closes.
     * The journal stays open for the next lease, which checks that it is still the one at its path.
     */
    private void closeLease() {
        filledCacheThisLease = false;
        if (session != null) {
            session.close();
            session = null;
        }
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // Committed batches are in the write-ahead log already; the next open checkpoints them.
                LOG.log(System.Logger.Level.WARNING, "Closing " + database.path() + " failed", e);
            }
            connection = null;
        }
        if (grant != null) {
            grant.close();
            grant = null;
        }
    }

    private static QueuedWork<?> latestDeadline(List<QueuedWork<?>> batch) {
        QueuedWork<?> latest = batch.get(0);
        for (QueuedWork<?> work : batch) {
            if (work.deadlineNanos() - latest.deadlineNanos() > 0) {
                latest = work;
            }
        }
        return latest;
    }

    private IOException asIoException(Exception e, String step) {
        if (e instanceof IOException io) {
            return io;
        }
        return new StoreException("Cannot " + step + " the DuckDB database " + database.path() + ": "
                                  + e.getMessage(), e);
    }

    /** A work that ran in the current transaction, with its result or its failure. */
    private record Ran<T>(QueuedWork<T> work, T result, Throwable failure) {

        void succeed(long token, long startNanos, long holdNanos) {
            work.succeed(new Outcome<>(result, token, startNanos - work.submittedAtNanos, holdNanos));
        }
    }
}
