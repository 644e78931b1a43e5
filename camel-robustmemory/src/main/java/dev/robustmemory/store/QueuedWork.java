package dev.robustmemory.store;

import dev.robustmemory.lock.LockTimeoutException;
import dev.robustmemory.lock.OwnerRecordReading;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

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

    final MemoryStore store;
    final MemoryWork<T> work;
    final long submittedAtNanos = System.nanoTime();
    private final Duration timeout;
    private final long deadlineNanos;
    private final AtomicInteger state = new AtomicInteger(QUEUED);
    private final CompletableFuture<Outcome<T>> outcome = new CompletableFuture<>();
    private volatile boolean lockAttempted;

    QueuedWork(MemoryStore store, MemoryWork<T> work, Duration timeout) {
        this.store = store;
        this.work = work;
        this.timeout = timeout;
        this.deadlineNanos = submittedAtNanos + Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
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
     * Waits for the outcome. At the deadline, a work that has not started is cancelled and fails with a lock timeout
     * naming the holder, but only once the lock was tried for it: a zero timeout means "try once", not "never try".
     * A work that has started is always waited for, since it may already have committed.
     */
    Outcome<T> await(DatabaseLease lease) throws IOException, InterruptedException {
        try {
            while (true) {
                try {
                    long remaining = deadlineNanos - System.nanoTime();
                    return outcome.get(Math.max(remaining, ATTEMPT_POLL_NANOS), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    if (!lease.isServing() && state.compareAndSet(QUEUED, CANCELLED)) {
                        throw new IllegalStateException("The memory store's lease thread has stopped; the work never ran");
                    }
                    if ((lockAttempted || lease.isWaitingForLock()) && state.compareAndSet(QUEUED, CANCELLED)) {
                        OwnerRecordReading holder = lease.ownerRecord();
                        throw new LockTimeoutException(lease.lockFile(), timeout, describe(holder), holder);
                    }
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
