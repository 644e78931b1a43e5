package dev.robustmemory.duckdb;

import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The one thread of this JVM that watches the deadlines of asynchronous callers' works: a caller of
 * {@link DuckDbMemory#execute} watches its own deadline while it waits, but a caller of
 * {@link DuckDbMemory#executeAsync} has no thread waiting. A check only compares and sets a work's state and fails
 * its future (the caller's continuation runs on the caller's executor), so one daemon thread serves every store;
 * like the JDK's own delayer behind {@code CompletableFuture.orTimeout}, it lives as long as the JVM.
 *
 * <p><b>Why not a {@code ScheduledThreadPoolExecutor}.</b> Nearly every work is answered long before its deadline
 * and its check cancelled, so the next work's check usually lands in an empty queue, and that executor wakes its
 * thread for every new head of the queue: one more thread switch per call, which a sequential caller on a 2-core
 * machine pays in full. Here the thread keeps sleeping until the time it already meant to wake up, even when the
 * check it woke up for was cancelled meanwhile, so a check due later never wakes it: with a steady stream of calls
 * it wakes about once per lock timeout.
 */
final class DeadlineTimer {

    private static final ConcurrentSkipListSet<Check> CHECKS = new ConcurrentSkipListSet<>();
    private static final AtomicLong SEQUENCE = new AtomicLong();
    /** When the timer thread will look at the checks again; {@code Long.MAX_VALUE} while it has none. */
    private static volatile long wakeAtNanos = Long.MAX_VALUE;
    private static final System.Logger LOG = System.getLogger(DeadlineTimer.class.getName());
    private static final Thread THREAD = startThread();

    private DeadlineTimer() {
    }

    /** Runs the task after the delay (at once when it is not positive), unless cancelled first. */
    static Check schedule(Runnable task, long delayNanos) {
        Check check = new Check(System.nanoTime() + delayNanos, SEQUENCE.getAndIncrement(), task);
        CHECKS.add(check);
        long wakeAt = wakeAtNanos; // read after adding: see the thread's second look in run()
        if (wakeAt == Long.MAX_VALUE || check.dueNanos - wakeAt < 0) {
            LockSupport.unpark(THREAD);
        }
        return check;
    }

    private static Thread startThread() {
        Thread thread = new Thread(DeadlineTimer::run, "robustmemory-deadlines");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void run() {
        while (true) {
            Check first = firstCheck();
            long now = System.nanoTime();
            if (first != null && first.dueNanos - now <= 0) {
                if (CHECKS.remove(first)) {
                    runSafely(first.task);
                }
                continue;
            }
            wakeAtNanos = first == null ? Long.MAX_VALUE : first.dueNanos;
            // A second look after publishing the wake-up time: a check added meanwhile either is seen here, or its
            // scheduler saw the new wake-up time and unparks this thread.
            if (firstCheck() != first) {
                continue;
            }
            if (first == null) {
                LockSupport.park();
            } else {
                LockSupport.parkNanos(first.dueNanos - now);
            }
        }
    }

    /** The earliest check, or null; callers on other threads cancel checks at any moment. */
    private static Check firstCheck() {
        try {
            return CHECKS.first();
        } catch (NoSuchElementException emptiedMeanwhile) {
            return null;
        }
    }

    /** A failing check must not stop the thread: every later deadline would go unwatched. */
    private static void runSafely(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "A deadline check failed", e);
        }
    }

    /** One scheduled task; cancelling it only removes it, the timer thread is not woken. */
    static final class Check implements Comparable<Check> {

        private final long dueNanos;
        private final long sequence;
        private final Runnable task;

        private Check(long dueNanos, long sequence, Runnable task) {
            this.dueNanos = dueNanos;
            this.sequence = sequence;
            this.task = task;
        }

        void cancel() {
            CHECKS.remove(this);
        }

        @Override
        public int compareTo(Check other) {
            long byDue = dueNanos - other.dueNanos;
            return byDue != 0 ? (byDue < 0 ? -1 : 1) : Long.compare(sequence, other.sequence);
        }
    }
}
