package dev.robustmemory.benchmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one operation loop per thread for a time window and records the latency of every operation. All threads start
 * together; each finishes the operation it is in when the window closes, so slow operations are counted whole.
 */
final class LoadDriver {

    /** The work of one thread: called with 0, 1, 2, … until the window closes. */
    @FunctionalInterface
    interface ThreadOperation {
        void run(long sequence) throws Exception;
    }

    private LoadDriver() {
    }

    /** Runs every operation in its own thread for {@code window}; rethrows the first failure of any thread. */
    static Measurement run(List<ThreadOperation> operations, Duration window) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<ThreadLoop> loops = new ArrayList<>();
        for (int i = 0; i < operations.size(); i++) {
            ThreadLoop loop = new ThreadLoop(operations.get(i), start, failure);
            loop.thread = new Thread(loop, "bench-load-" + i);
            loop.thread.start();
            loops.add(loop);
        }
        long begin = System.nanoTime();
        long deadline = begin + window.toNanos();
        loops.forEach(loop -> loop.deadline = deadline);
        start.countDown();
        for (ThreadLoop loop : loops) {
            loop.thread.join();
        }
        long elapsed = System.nanoTime() - begin;
        if (failure.get() != null) {
            throw failure.get();
        }
        long[] latencies = loops.stream().flatMapToLong(loop -> Arrays.stream(loop.latencies, 0, loop.count))
                .toArray();
        return Measurement.ofOneProcess(latencies.length, elapsed, latencies);
    }

    private static final class ThreadLoop implements Runnable {
        private final ThreadOperation operation;
        private final CountDownLatch start;
        private final AtomicReference<Exception> failure;
        private Thread thread;
        // Written before start.countDown(), read after start.await(): the latch publishes it.
        private long deadline;
        private long[] latencies = new long[1024];
        private int count;

        ThreadLoop(ThreadOperation operation, CountDownLatch start, AtomicReference<Exception> failure) {
            this.operation = operation;
            this.start = start;
            this.failure = failure;
        }

        @Override
        public void run() {
            try {
                start.await();
                // Another thread's failure ends the round for everyone: its numbers would be meaningless.
                for (long sequence = 0; System.nanoTime() < deadline && failure.get() == null; sequence++) {
                    long before = System.nanoTime();
                    operation.run(sequence);
                    record(System.nanoTime() - before);
                }
            } catch (Exception e) {
                failure.compareAndSet(null, e);
            }
        }

        private void record(long latency) {
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = latency;
        }
    }
}
