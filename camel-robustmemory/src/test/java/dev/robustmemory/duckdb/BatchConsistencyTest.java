package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoredValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Works of different callers that share one batch, made to share it on purpose: a first work holds the lease thread
 * on a latch while the others queue up behind it, so that they are taken as one batch when it lets go.
 */
class BatchConsistencyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();

    @TempDir
    Path directory;

    private final ExecutorService callers = Executors.newCachedThreadPool();
    private final ExecutorService completions = Executors.newSingleThreadExecutor();
    private DuckDbMemory store;

    @BeforeEach
    void open() throws Exception {
        store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")));
    }

    @AfterEach
    void close() {
        store.close();
        callers.shutdownNow();
        completions.shutdownNow();
    }

    /**
     * A work that clears and fails is run again alone, after its rollback emptied the cache; the first statement it
     * prepares then reads the table whole into the cache, mid-transaction. That read must not lay the journaled
     * writes over the rows: the transaction applied them, and the clear deleted them (found by the model properties
     * in the torture run: a storeAll after a clear saw a cleared key's version).
     */
    @Test
    void aCacheFilledAfterAClearInTheSameTransactionDoesNotBringTheClearedKeysBack() throws Exception {
        store.execute(TIMEOUT, MemorySession::size); // DuckDB read whole: the cache knows every key from now on
        try (LockGrant handedOver = store.lock().acquire(TIMEOUT)) {
            // the lease ended; the next one keeps the cache, and has prepared no statement and filled nothing yet
        }
        store.execute(TIMEOUT, session -> session.store("b", StoredValue.text("journaled"), ANY_VERSION));
        List<Optional<MemoryEntry>> seenAfterClear = new ArrayList<>();
        assertThrows(IllegalStateException.class, () -> store.execute(TIMEOUT, session -> {
            session.clear("");
            session.exists("other"); // in the run alone: the first statement prepared, so the cache is filled here
            seenAfterClear.add(session.load("b"));
            throw new IllegalStateException("fails after writing: its batch is rolled back and it runs again alone");
        }));
        assertEquals(2, seenAfterClear.size(), "it ran twice");
        assertEquals(List.of(Optional.empty(), Optional.empty()), seenAfterClear);
    }

    /** Occupies the lease thread until the returned latch is counted down. */
    private CountDownLatch occupyLeaseThread() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.executeAsync(TIMEOUT, session -> {
            running.countDown();
            awaitQuietly(release);
            return null;
        }, completions);
        assertTrue(running.await(10, TimeUnit.SECONDS));
        return release;
    }

    private <T> CompletableFuture<Outcome<T>> submit(MemoryWork<T> work) {
        return store.executeAsync(TIMEOUT, work, completions).toCompletableFuture();
    }

    @Test
    void aClearReachesTheRestOfItsWork() throws Exception {
        store.execute(TIMEOUT, session -> session.increment("c", 41));
        store.execute(TIMEOUT, session -> session.store("gone", StoredValue.text("old"), ANY_VERSION));

        boolean[] existsAfterClear = new boolean[1];
        MemoryEntry counted = store.execute(TIMEOUT, session -> {
            session.clear("");
            existsAfterClear[0] = session.exists("gone");
            return session.increment("c", 1);
        }).result();

        assertFalse(existsAfterClear[0], "a cleared key is gone for the rest of the work");
        assertEquals(StoredValue.json("1"), counted.value(), "a cleared counter counts from 0");
        assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("gone")).result(),
                "and does not come back after the commit");
        assertEquals(StoredValue.json("1"), store.execute(TIMEOUT, session -> session.load("c")).result()
                .orElseThrow().value());
    }

    @Test
    void sizeFollowsTheChangesOfItsLeaseOnAFreshlyOpenedDatabase() throws Exception {
        for (int i = 0; i < 12; i++) {
            String key = "k" + i;
            store.execute(TIMEOUT, session -> session.store(key, StoredValue.text("v"), ANY_VERSION));
        }
        long expected = 12;
        for (int lease = 0; lease < 3; lease++) {
            Leases.endLease(store); // the next lease opens the database again, checkpointed
            for (int i = 0; i < 2; i++) {
                String key = "k" + (lease * 2 + i);
                long[] sizes = store.execute(TIMEOUT, session -> {
                    long before = session.size();
                    session.delete(key);
                    return new long[]{before, session.size()};
                }).result();
                assertEquals(expected, sizes[0], "before deleting " + key);
                assertEquals(--expected, sizes[1], "after deleting " + key + " in the same work");
                assertEquals(expected, store.execute(TIMEOUT, MemorySession::size).result(), "in the next work");
            }
        }
    }

    @Test
    void aClearReachesTheOtherCallersOfItsBatch() throws Exception {
        store.execute(TIMEOUT, session -> session.increment("c", 41));
        CountDownLatch release = occupyLeaseThread();
        CompletableFuture<Outcome<Long>> clear = submit(session -> session.clear(""));
        CompletableFuture<Outcome<MemoryEntry>> increment = submit(session -> session.increment("c", 1));
        CompletableFuture<Outcome<Boolean>> exists = submit(session -> session.exists("c"));
        release.countDown();

        assertEquals(1L, clear.get(10, TimeUnit.SECONDS).result());
        assertEquals(StoredValue.json("1"), increment.get(10, TimeUnit.SECONDS).result().value());
        assertTrue(exists.get(10, TimeUnit.SECONDS).result());
        assertEquals(StoredValue.json("1"), store.execute(TIMEOUT, session -> session.load("c")).result()
                .orElseThrow().value());
    }

    @Test
    void aCallerInterruptedWhileItsBatchRunsIsToldTheTruthWhenTheBatchIsRunAgainOneByOne() throws Exception {
        store.execute(TIMEOUT, session -> session.increment("n", 1));
        CountDownLatch release = occupyLeaseThread();
        CountDownLatch spoilerRunning = new CountDownLatch(1);
        CountDownLatch spoil = new CountDownLatch(1);
        CompletableFuture<Outcome<Object>> spoiler = submit(session -> {
            session.store("spoiled", StoredValue.text("x"), ANY_VERSION);
            spoilerRunning.countDown();
            awaitQuietly(spoil);
            throw new IllegalStateException("fails after writing: its batch rolls back and runs one by one");
        });
        CompletableFuture<Object> callerSaw = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                callerSaw.complete(store.execute(TIMEOUT, session -> session.increment("n", 1)).result());
            } catch (Exception e) {
                callerSaw.complete(e);
            }
        });
        caller.start();
        while (store.queuedWorks() < 2) { // the spoiler and the increment wait behind the occupying work
            Thread.onSpinWait();
        }
        release.countDown(); // they are taken as one batch
        assertTrue(spoilerRunning.await(10, TimeUnit.SECONDS));
        caller.interrupt(); // while the increment's batch runs, before its turn
        spoil.countDown();

        assertThrows(Exception.class, () -> spoiler.get(10, TimeUnit.SECONDS));
        Object saw = callerSaw.get(10, TimeUnit.SECONDS);
        long n = Long.parseLong(store.execute(TIMEOUT, session -> session.load("n")).result().orElseThrow().value()
                .text());
        if (saw instanceof InterruptedException) {
            assertEquals(1, n, "a caller told that its increment never ran finds it not applied");
        } else {
            assertInstanceOf(MemoryEntry.class, saw, "the caller learns the increment's outcome");
            assertEquals(2, n);
        }
        assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("spoiled")).result());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aWorkQueuedBehindASlowBatchTimesOutAtItsOwnDeadline() throws Exception {
        store.execute(TIMEOUT, session -> session.increment("n", 1));
        CountDownLatch release = occupyLeaseThread();
        CompletableFuture<Outcome<MemoryEntry>> late = store.executeAsync(Duration.ofMillis(50),
                session -> session.increment("n", 1), completions).toCompletableFuture();
        Exception timedOut = assertThrows(Exception.class, () -> late.get(10, TimeUnit.SECONDS),
                "times out while the lease is still busy with the slow work");
        assertInstanceOf(dev.robustmemory.duckdb.lock.LockTimeoutException.class, timedOut.getCause());
        release.countDown();
        assertEquals(StoredValue.json("1"), store.execute(TIMEOUT, session -> session.load("n")).result()
                .orElseThrow().value(), "and never runs");
    }

    @Test
    void aHugeTimeoutMeansWaitingForever() throws Exception {
        assertEquals(StoredValue.json("1"), store.execute(Duration.ofSeconds(Long.MAX_VALUE),
                session -> session.increment("n", 1)).result().value());
    }
}
