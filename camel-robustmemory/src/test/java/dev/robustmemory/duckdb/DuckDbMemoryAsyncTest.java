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
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoredValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DuckDbMemory#executeAsync}: the same lease, lock and timeouts as execute, with nobody waiting. */
class DuckDbMemoryAsyncTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();

    @TempDir
    Path directory;

    private final ExecutorService completions = Executors.newSingleThreadExecutor(task -> new Thread(task, "completions"));
    private final ExecutorService lockHolder = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopThreads() {
        completions.shutdownNow();
        lockHolder.shutdownNow();
    }

    private DuckDbMemory open() throws Exception {
        return DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")));
    }

    /** Takes the lock on another thread: the lock is not re-entrant, and the store's lease lets go for a waiter. */
    private LockGrant holdLockElsewhere(DuckDbMemory store) throws Exception {
        return lockHolder.submit(() -> store.lock().acquire(TIMEOUT)).get();
    }

    /** Works cannot throw InterruptedException; an interrupt here would only mean the test is being torn down. */
    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static Throwable failureOf(CompletionStage<?> stage) {
        CompletionException e = assertThrows(CompletionException.class, () -> stage.toCompletableFuture().join());
        return e.getCause();
    }

    @Test
    void theOutcomeArrivesOnTheGivenExecutorNotOnTheLeaseThread() throws Exception {
        try (DuckDbMemory store = open()) {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            AtomicReference<Thread> answeredOn = new AtomicReference<>();
            CountDownLatch continuationAttached = new CountDownLatch(1);
            CompletableFuture<Outcome<MemoryEntry>> stage = store.executeAsync(TIMEOUT, session -> {
                ranOn.set(Thread.currentThread());
                awaitUninterruptibly(continuationAttached); // else the continuation could run on this test's thread
                return session.store("k", StoredValue.text("v"), ANY_VERSION);
            }, completions).whenComplete((result, failure) -> answeredOn.set(Thread.currentThread()))
                    .toCompletableFuture();
            continuationAttached.countDown();

            assertEquals(1, stage.join().result().version());
            assertTrue(ranOn.get().getName().startsWith("robustmemory-lease-"), ranOn.get().getName());
            assertEquals("completions", answeredOn.get().getName());
        }
    }

    @Test
    void aHeldLockTimesOutWithTheSameExceptionAsExecuteAndTheWorkNeverRuns() throws Exception {
        try (DuckDbMemory store = open(); LockGrant held = holdLockElsewhere(store)) {
            CountDownLatch ran = new CountDownLatch(1);
            CompletionStage<Outcome<Long>> stage = store.executeAsync(Duration.ofMillis(200), session -> {
                ran.countDown();
                return session.size();
            }, completions);

            LockTimeoutException async = assertInstanceOf(LockTimeoutException.class, failureOf(stage));
            LockTimeoutException sync = assertThrows(LockTimeoutException.class,
                    () -> store.execute(Duration.ofMillis(200), MemorySession::size));
            assertEquals(sync.getMessage(), async.getMessage());
            assertEquals(Duration.ofMillis(200), async.timeout());
            assertEquals(1, ran.getCount(), "a work that timed out never runs");
        }
    }

    @Test
    void aZeroTimeoutTriesOnceWhetherTheLockIsFreeOrHeld() throws Exception {
        try (DuckDbMemory store = open()) {
            assertEquals(1, store.executeAsync(Duration.ZERO, session -> session.increment("n", 1), completions)
                    .toCompletableFuture().join().result().version());
            try (LockGrant held = holdLockElsewhere(store)) {
                assertInstanceOf(LockTimeoutException.class,
                        failureOf(store.executeAsync(Duration.ZERO, MemorySession::size, completions)));
            }
        }
    }

    @Test
    void aWorkRunningPastItsDeadlineIsAnsweredWithItsOutcome() throws Exception {
        try (DuckDbMemory store = open()) {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch proceed = new CountDownLatch(1);
            // A zero timeout: the deadline has passed before the work even starts, so every check finds it running.
            CompletableFuture<Outcome<MemoryEntry>> stage = store.executeAsync(Duration.ZERO, session -> {
                running.countDown();
                awaitUninterruptibly(proceed);
                return session.store("k", StoredValue.text("v"), ANY_VERSION);
            }, completions).toCompletableFuture();
            assertTrue(running.await(10, TimeUnit.SECONDS));
            assertFalse(stage.isDone(), "not abandoned at the deadline: it may already have committed");
            proceed.countDown();

            assertEquals(1, stage.join().result().version());
            assertTrue(store.execute(TIMEOUT, session -> session.exists("k")).result());
        }
    }

    @Test
    void manyCallsInFlightFromOneThreadAreEachAnsweredOnce() throws Exception {
        int calls = 500;
        try (DuckDbMemory store = open()) {
            List<CompletableFuture<Outcome<MemoryEntry>>> stages = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                stages.add(store.executeAsync(TIMEOUT, session -> session.increment("n", 1), completions)
                        .toCompletableFuture());
            }
            Set<Long> versions = ConcurrentHashMap.newKeySet();
            for (CompletableFuture<Outcome<MemoryEntry>> stage : stages) {
                assertTrue(versions.add(stage.join().result().version()), "each increment has its own version");
            }
            assertEquals(calls, versions.size());
            assertEquals(StoredValue.json(Integer.toString(calls)),
                    store.execute(TIMEOUT, session -> session.load("n")).result().orElseThrow().value());
        }
    }

    @Test
    void aShutDownExecutorStillGetsTheCallerItsOutcome() throws Exception {
        Executor rejecting = task -> {
            throw new RejectedExecutionException("shut down");
        };
        try (DuckDbMemory store = open()) {
            assertEquals(0L, store.executeAsync(TIMEOUT, MemorySession::size, rejecting)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS).result());
        }
    }

    @Test
    void aWorkCallingExecuteAsyncFailsLoudly() throws Exception {
        try (DuckDbMemory store = open()) {
            Throwable failure = failureOf(store.executeAsync(TIMEOUT,
                    session -> store.executeAsync(TIMEOUT, MemorySession::size, completions), completions));
            assertInstanceOf(IllegalStateException.class, failure);
            assertTrue(failure.getMessage().contains("Re-entrant"), failure.getMessage());
        }
    }

    @Test
    void aClosedStoreRefusesAsyncWork() throws Exception {
        DuckDbMemory store = open();
        store.close();
        assertThrows(IllegalStateException.class, () -> store.executeAsync(TIMEOUT, MemorySession::size, completions));
    }

    @Test
    void theCallingThreadIsFreeWhileTheLockIsHeldElsewhere() throws Exception {
        try (DuckDbMemory store = open()) {
            AtomicReference<Thread> answeredOn = new AtomicReference<>();
            CompletableFuture<Outcome<Long>> stage;
            try (LockGrant held = holdLockElsewhere(store)) {
                stage = store.executeAsync(TIMEOUT, MemorySession::size, completions).toCompletableFuture();
                assertFalse(stage.isDone(), "the lock is held: the work waits, its caller does not");
                stage = stage.whenComplete((result, failure) -> answeredOn.set(Thread.currentThread()));
            }
            assertEquals(0L, stage.join().result());
            assertEquals("completions", answeredOn.get().getName());
        }
    }
}
