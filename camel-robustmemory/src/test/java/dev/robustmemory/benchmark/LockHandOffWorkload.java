package dev.robustmemory.benchmark;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.LockGrant;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * P6: how long the lock stays idle between two processes. A child JVM holds the lock; a thread of this JVM waits
 * for it; after a random 1–5 ms (the holder's "work", so the waiter's polling is caught at any phase as under real
 * contention) the child notes {@link System#nanoTime()} and releases. One sample is the time from that instant to
 * the return of the waiter's {@code acquire}, which releases at once; then the child is told to acquire again for the
 * next sample. Comparing nanoTime across processes assumes HotSpot on Linux, where it reads CLOCK_MONOTONIC, one
 * clock for every process of a boot.
 */
record LockHandOffWorkload(String name) implements Workload {

    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String description() {
        return "cross-process hand-off: child JVM releases -> this JVM's waiting acquire returns (latency of that)";
    }

    @Override
    public Trial prepare(Path directory) throws Exception {
        Path lockFile = directory.resolve("hand-off.lock");
        CrossProcessLock lock = CrossProcessLock.open(lockFile, LockFileSettings.defaults());
        ChildProcess holder = ChildProcess.start(directory.resolve("tmp"), BenchChild.class,
                List.of("hand-off", lockFile.toString()));
        ExecutorService waiter = Executors.newSingleThreadExecutor(r -> new Thread(r, "bench-hand-off-waiter"));
        return new Trial() {
            @Override
            public Measurement measure(Duration window) throws Exception {
                long begin = System.nanoTime();
                long[] samples = new long[64];
                int count = 0;
                while (System.nanoTime() - begin < window.toNanos()) {
                    if (count == samples.length) {
                        samples = Arrays.copyOf(samples, count * 2);
                    }
                    samples[count++] = handOff();
                }
                return Measurement.ofOneProcess(count, System.nanoTime() - begin, Arrays.copyOf(samples, count));
            }

            private long handOff() throws Exception {
                holder.tell("acquire");
                holder.awaitLine("HELD", STEP_TIMEOUT);
                Future<Long> acquiredAt = waiter.submit(() -> {
                    try (LockGrant grant = lock.acquire(STEP_TIMEOUT)) {
                        return System.nanoTime();
                    }
                });
                while (lock.waitingThreads() == 0 && !acquiredAt.isDone()) {
                    Thread.onSpinWait();
                }
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(
                        TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(5)));
                holder.tell("release");
                long releasedAt = Long.parseLong(holder.awaitLine("RELEASED", STEP_TIMEOUT).split(" ")[1]);
                return acquiredAt.get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) - releasedAt;
            }

            @Override
            public void close() throws Exception {
                try (holder) {
                    waiter.shutdownNow();
                }
            }
        };
    }
}
