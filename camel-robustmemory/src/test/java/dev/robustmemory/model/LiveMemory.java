package dev.robustmemory.model;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.testing.ManualClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A real memory (DuckDB file, lock file, lease thread) in a temporary directory, and the recorder of the works run on
 * it: each call becomes a {@link WorkRecord} for the {@link HistoryChecker}.
 *
 * <p>Scenarios share one memory: {@link #begin} empties it and returns the revision the scenario's versions count
 * from, which keeps a scenario at a few milliseconds instead of a database opening.
 */
final class LiveMemory implements AutoCloseable {

    /** Small, so that over-long values are cheap to make. */
    static final long MAX_VALUE_SIZE = 16;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Path directory;
    private final UnaryOperator<MemorySession> sessions;
    private final ExecutorService completions = Executors.newSingleThreadExecutor(
            task -> new Thread(task, "model-completions"));
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Backend backend;
    private Memory store;

    /** The kind of memory the scenarios run on, and what ending its hold on the memory means there. */
    interface Backend {
        Memory open(Path directory, long maxValueSize, Clock clock) throws Exception;

        /** Makes the next work start afresh, as after another holder had the memory in between. */
        void handOver(Memory memory) throws Exception;
    }

    /** The embedded memory: a DuckDB file and its lock file; a hand-over ends the lease. */
    static final Backend DUCKDB = new Backend() {
        @Override
        public Memory open(Path directory, long maxValueSize, Clock clock) throws Exception {
            Path database = directory.resolve("memory.duckdb");
            return DuckDbMemory.open(new StoreSettings(database, StoreSettings.defaultLockFile(database),
                    LockFileSettings.defaults(), maxValueSize), clock);
        }

        /**
         * Taking the lock from this thread makes the lease let go, so the next work starts a new lease, which must
         * find every acknowledged write again (journal catch-up, cache kept or dropped).
         */
        @Override
        public void handOver(Memory memory) throws Exception {
            try (LockGrant ignored = ((DuckDbMemory) memory).lock().acquire(TIMEOUT)) {
                // held for an instant: the point was to end the lease
            }
        }
    };

    /**
     * @param sessions what a work is given instead of the store's session: a deliberately broken wrapper, or not
     */
    LiveMemory(UnaryOperator<MemorySession> sessions, Backend backend) throws Exception {
        this.directory = Files.createTempDirectory("robustmemory-model");
        this.sessions = sessions;
        this.backend = backend;
        this.store = open();
    }

    private Memory open() throws Exception {
        return backend.open(directory, MAX_VALUE_SIZE, clock);
    }

    /** The memory's wall clock: it moves only when a scenario moves it. */
    ManualClock clock() {
        return clock;
    }

    /** The memory's revision now: what a scenario on its own namespace counts its versions from. */
    long revision() throws Exception {
        return store.execute(TIMEOUT, session -> Revisions.of(session, 0)).result();
    }

    /** Empties the memory for a new scenario. @return the revision the scenario's relative versions count from */
    long begin() throws Exception {
        return store.execute(TIMEOUT, session -> {
            session.clear("");
            return Revisions.of(session, 0);
        }).result();
    }

    /** Runs one work and waits for it. */
    WorkRecord execute(Work work, long base) throws InterruptedException {
        return execute(work, base, UnaryOperator.identity());
    }

    /** Runs one work and waits for it; the work sees the memory through {@code view} (say, a namespace). */
    WorkRecord execute(Work work, long base, UnaryOperator<MemorySession> view) throws InterruptedException {
        AtomicInteger runs = new AtomicInteger();
        long invoked = System.nanoTime();
        try {
            Outcome<Work.Observation> outcome = store.execute(TIMEOUT, session -> {
                runs.incrementAndGet();
                return work.run(view.apply(sessions.apply(session)), base);
            });
            return new WorkRecord(work, outcome.result(), null, runs.get(), invoked, System.nanoTime(),
                    clock.micros());
        } catch (IOException | RuntimeException e) {
            return failed(work, e, runs.get(), invoked);
        }
    }

    /**
     * Submits the works at once, so that they share one batch (and one lease): a first work holds the lease thread
     * until all are queued. @return their records, in the order they were submitted
     */
    List<WorkRecord> executeTogether(List<Work> works, long base) {
        // join(), unlike a latch's await, cannot be interrupted, and a work cannot throw InterruptedException
        CompletableFuture<Void> holding = new CompletableFuture<>();
        CompletableFuture<Void> allQueued = new CompletableFuture<>();
        CompletableFuture<?> gate = store.executeAsync(TIMEOUT, session -> {
            holding.complete(null);
            return allQueued.join();
        }, completions).toCompletableFuture();
        holding.join();
        List<CompletableFuture<WorkRecord>> records = new ArrayList<>();
        for (Work work : works) {
            AtomicInteger runs = new AtomicInteger();
            long invoked = System.nanoTime();
            records.add(store.executeAsync(TIMEOUT, session -> {
                        runs.incrementAndGet();
                        return work.run(sessions.apply(session), base);
                    }, completions)
                    .handle((outcome, failure) -> failure == null
                            ? new WorkRecord(work, outcome.result(), null, runs.get(), invoked, System.nanoTime(),
                                    clock.micros())
                            : failed(work, failure, runs.get(), invoked))
                    .toCompletableFuture());
        }
        allQueued.complete(null);
        gate.join();
        return records.stream().map(CompletableFuture::join).toList();
    }

    private WorkRecord failed(Work work, Throwable failure, int runs, long invoked) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                          ? failure.getCause() : failure;
        Work.Observation observed = cause instanceof Work.IntendedFailure intended ? intended.observation() : null;
        return new WorkRecord(work, observed, cause, runs, invoked, System.nanoTime(), clock.micros());
    }

    /** Every entry, with versions relative to {@code base}: the state the model's must equal. */
    Map<String, Answers.Versioned> entries(long base) throws Exception {
        return store.execute(TIMEOUT, session -> {
            Map<String, Answers.Versioned> entries = new TreeMap<>();
            for (String key : session.keys("")) {
                MemoryEntry entry = session.load(key)
                        .orElseThrow(() -> new AssertionError("listed, not loaded: " + key));
                entries.put(key, Answers.versioned(entry, base));
            }
            return entries;
        }).result();
    }

    /** Makes the next work start afresh, as after another holder ({@link Backend#handOver}). */
    void handOver() throws Exception {
        backend.handOver(store);
    }

    /** Closes the memory and opens it again: what a restarted process finds. */
    void reopen() throws Exception {
        store.close();
        store = open();
    }

    @Override
    public void close() throws IOException {
        store.close();
        completions.shutdownNow();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> {
                try {
                    Files.delete(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
