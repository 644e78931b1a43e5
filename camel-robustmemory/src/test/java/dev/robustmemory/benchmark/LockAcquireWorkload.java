package dev.robustmemory.benchmark;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockFileSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * P5: one thread acquiring and releasing the cross-process lock with nobody else interested. One operation is
 * {@code acquire} + {@code close} of the grant, including the owner record written at each.
 */
record LockAcquireWorkload(String name) implements Workload {

    @Override
    public String description() {
        return "CrossProcessLock acquire + release, uncontended, 1 thread";
    }

    @Override
    public Trial prepare(Path directory) throws Exception {
        CrossProcessLock lock = CrossProcessLock.open(directory.resolve("uncontended.lock"), LockFileSettings.defaults());
        Duration timeout = Duration.ofSeconds(1);
        List<LoadDriver.ThreadOperation> acquireAndRelease = List.of(sequence -> lock.acquire(timeout).close());
        return new Trial() {
            @Override
            public Measurement measure(Duration window) throws Exception {
                return LoadDriver.run(acquireAndRelease, window);
            }

            @Override
            public void close() {
                // the lock instance lives as long as the JVM (one per lock file)
            }
        };
    }
}
