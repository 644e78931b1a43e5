package dev.robustmemory.duckdb;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.duckdb.lock.OwnerRecordReading;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.Outcome;

/**
 * One caller's work waiting in a {@link DatabaseLease}'s queue. It moves QUEUED to RUNNING when the lease thread
 * starts it, or QUEUED to CANCELLED when its caller gives up (timeout, interrupt) first; exactly one of the two wins,
 * so a work either runs (and its caller learns the result) or never runs at all.
 */
final class QueuedWork<T> {

    private static final int QUEUED = 0;
    private static final int RUNNING = 1;
    private static final int CANCELLED = 2;
    /** While the lease thread has not yet tried for the lock on a work's behalf, its caller keeps waiting. */
    private static final long ATTEMPT_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    final DuckDbMemory store;
    final MemoryWork<T> work;
    final long submittedAtNanos = System.nanoTime();
    private final Duration timeout;
    private final long deadlineNanos;
    private final AtomicInteger state = new AtomicInteger(QUEUED);
    private final CompletableFuture<Outcome<T>> outcome = new CompletableFuture<>();
    private volatile boolean lockAttempted;
    /** Set by the lease thread when the work could not be answered without the lock: it waits for the lock. */
    private boolean needsLock;
    /** The pending deadline check of an asynchronous caller; null for a caller that watches its own deadline. */
    private volatile DeadlineTimer.Check deadlineCheck;

    QueuedWork(DuckDbMemory store, MemoryWork<T> work, Duration timeout) {
        this.store = store;
        this.work = work;
        this.timeout = timeout;
        this.deadlineNanos = submittedAtNanos + CrossProcessLock.waitNanos(timeout);
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    Duration timeout() {
        return timeout;
    }

    boolean isCancelled() {
        return state.get() == CANCELLED;
    }

    /** Called by the lease thread just before running the work; false when the caller gave up first. */
    boolean start() {
        return state.compareAndSet(QUEUED, RUNNING);
    }

    /** Whether the lease thread may try to answer the work without the lock (it only reads, and did not fail to). */
    boolean mayRunWithoutLock() {
        return work.onlyReads() && !needsLock;
    }

    void markNeedsLock() {
        needsLock = true;
    }

    /** The lease thread tried for the lock since this work was queued (or is waiting for it right now). */
    void markLockAttempted() {
        lockAttempted = true;
    }

    void succeed(Outcome<T> result) {
        outcome.complete(result);
    }

    void fail(Throwable failure) {
        outcome.completeExceptionally(failure);
    }

    /**
     * Waits for the outcome, watching the deadline itself (see {@link #expire}). A work that has started is always
     * waited for, since it may already have committed; an interrupt cancels only a work that has not.
     */
    Outcome<T> await(DatabaseLease lease) throws IOException, InterruptedException {
        try {
            long waitNanos = deadlineNanos - System.nanoTime();
            boolean watching = true;
            while (true) {
                try {
                    return watching ? outcome.get(Math.max(waitNanos, ATTEMPT_POLL_NANOS), TimeUnit.NANOSECONDS)
                                    : outcome.get();
                } catch (TimeoutException e) {
                    watching = expire(lease);
                    waitNanos = ATTEMPT_POLL_NANOS;
                }
            }
        } catch (InterruptedException e) {
            if (state.compareAndSet(QUEUED, CANCELLED)) {
                throw e;
            }
            Outcome<T> result = awaitStarted();
            Thread.currentThread().interrupt(); // the work ran: report its outcome, keep the interrupt for the caller
            return result;
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    /**
     * The outcome, delivered by a task on {@code completions} (never on the lease thread, whose next batch a
     * continuation would hold up), with the deadline watched by the {@link DeadlineTimer} instead of a waiting
     * thread. When {@code completions} rejects the task (say, it was shut down), the thread that decided the outcome
     * delivers it, so that no caller is left without one.
     */
    CompletionStage<Outcome<T>> answerOn(DatabaseLease lease, Executor completions) {
        CompletableFuture<Outcome<T>> answer = new CompletableFuture<>();
        watchDeadline(lease, deadlineNanos - System.nanoTime());
        outcome.whenComplete((result, failure) -> {
            Runnable deliver = () -> {
                deadlineCheck.cancel();
                if (failure == null) {
                    answer.complete(result);
                } else {
                    answer.completeExceptionally(failure);
                }
            };
            try {
                completions.execute(deliver);
            } catch (RejectedExecutionException e) {
                deliver.run();
            }
        });
        return answer;
    }

    private void watchDeadline(DatabaseLease lease, long delayNanos) {
        deadlineCheck = DeadlineTimer.schedule(() -> {
            if (expire(lease)) {
                watchDeadline(lease, ATTEMPT_POLL_NANOS);
            }
        }, delayNanos);
    }

    /**
     * What the caller's deadline does, once reached, to a work that has not started: cancels it and fails it with a
     * lock timeout naming the holder, but only once the memory was found busy: the lock was tried for it (a zero
     * timeout means "try once", not "never try"), or the lease is running another batch, which holds the lock for
     * this JVM. While another program holds the database file, it fails saying so; when the lease thread has stopped,
     * with an {@link IllegalStateException}. A work that has started is left alone: it may already have committed,
     * and its outcome will come.
     *
     * @return whether to check again a little later: the work still waits for the lease thread's first try
     */
    private boolean expire(DatabaseLease lease) {
        if (!lease.isServing() && state.compareAndSet(QUEUED, CANCELLED)) {
            fail(new IllegalStateException("The memory store's lease thread has stopped; the work never ran"));
            return false;
        }
        DatabaseHeldException held = lease.databaseHeldFailure(this);
        if (held != null && state.compareAndSet(QUEUED, CANCELLED)) {
            fail(held);
            return false;
        }
        if ((lockAttempted || lease.isWaitingForLock() || lease.isRunningBatch())
                && state.compareAndSet(QUEUED, CANCELLED)) {
            OwnerRecordReading holder = lease.ownerRecord();
            fail(new LockTimeoutException(lease.lockFile(), timeout, describe(holder), holder));
            return false;
        }
        // A work failed before it started (its lease could not begin) stays QUEUED but needs no more watching.
        return state.get() == QUEUED && !outcome.isDone();
    }

    private Outcome<T> awaitStarted() throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return outcome.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw rethrow(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String describe(OwnerRecordReading holder) {
        boolean thisProcess = holder.record() != null
                && holder.record().holder().pid() == ProcessHandle.current().pid();
        return thisProcess ? "another thread of this process" : "another process";
    }

    private static IOException rethrow(Throwable failure) {
        if (failure instanceof IOException io) {
            return io;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        return new IOException(failure);
    }
}
