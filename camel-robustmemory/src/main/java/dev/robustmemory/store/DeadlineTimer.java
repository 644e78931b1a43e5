package dev.robustmemory.store;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one thread of this JVM that watches the deadlines of asynchronous callers' works: a caller of
 * {@link MemoryStore#execute} watches its own deadline while it waits, but a caller of
 * {@link MemoryStore#executeAsync} has no thread waiting. A check only compares and sets a work's state and fails
 * its future (the caller's continuation runs on the caller's executor), so one daemon thread serves every store;
 * like the JDK's own delayer behind {@code CompletableFuture.orTimeout}, it lives as long as the JVM.
 */
final class DeadlineTimer {

    private static final ScheduledThreadPoolExecutor TIMER = createTimer();

    private DeadlineTimer() {
    }

    /** Runs the check after the delay (at once when it is not positive); cancelling it removes it from the timer. */
    static ScheduledFuture<?> schedule(Runnable check, long delayNanos) {
        return TIMER.schedule(check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private static ScheduledThreadPoolExecutor createTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "robustmemory-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        // Most works are answered long before their deadline: drop their checks at once rather than keeping
        // thousands of them queued for the whole lock timeout.
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
