package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import dev.robustmemory.duckdb.lock.LockChild;
import dev.robustmemory.duckdb.lock.LockEvent;
import dev.robustmemory.duckdb.lock.OwnerRecord;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lease thread under failures it did not cause: Errors, renewals, replaced files, dead holders, a closing store. */
class LeaseRobustnessTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CHILD_START = Duration.ofSeconds(60);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();

    @TempDir
    Path directory;

    private Path database() {
        return directory.resolve("memory.duckdb");
    }

    @Test
    void anErrorInTheLeaseThreadFailsItsBatchButNotTheMemory() throws Exception {
        try (DuckDbMemory first = DuckDbMemory.open(StoreSettings.of(database()))) {
            first.execute(TIMEOUT, session -> session.increment("n", 1));
        }
        // A new lease opens DuckDB before any work runs (it does not know the journal yet): the Error strikes there.
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database()))) {
            try (ChildJvm foreign = StoreTestProcess.holdingDuckDb(directory.resolve("tmp"), database())) {
                AtomicBoolean injected = new AtomicBoolean();
                store.onDatabaseHeldByAnotherProgram(() -> {
                    if (injected.compareAndSet(false, true)) {
                        throw new AssertionError("injected into the lease thread");
                    }
                });
                AssertionError failure = assertThrows(AssertionError.class,
                        () -> store.execute(TIMEOUT, session -> session.increment("n", 1)));
                assertEquals("injected into the lease thread", failure.getMessage());
                assertEquals(0, foreign.finish(CHILD_START));
            }
            store.onDatabaseHeldByAnotherProgram(() -> { });
            assertEquals(StoredValue.json("2"), store.execute(TIMEOUT, session -> session.increment("n", 1))
                    .result().value(), "the memory goes on serving this JVM");
        }
    }

    @Test
    void aLeaseRenewedAfterItsLastWorkLeavesDuckDbHoldingEveryWrite() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database()))) {
            store.execute(TIMEOUT, session -> {
                session.store("k", StoredValue.text("written"), ANY_VERSION);
                // Holds the lease past its tenure, so that it is renewed right after this, its last work.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(DatabaseLease.MAX_TENURE_MILLIS + 50));
                return null;
            });
            awaitReleased(store);
            try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database());
                 Statement statement = connection.createStatement();
                 ResultSet row = statement.executeQuery("SELECT text_value FROM " + Schema.ENTRIES
                                                        + " WHERE key = 'k'")) {
                assertTrue(row.next(), "the idle memory's DuckDB file holds the write");
                assertEquals("written", row.getString(1));
            }
        }
    }

    private static void awaitReleased(DuckDbMemory store) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (store.lock().readOwnerRecord().record().state() != OwnerRecord.State.RELEASED) {
            assertTrue(System.nanoTime() < deadline, "the lease was never released");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    @Test
    void aDatabaseFileReplacedBetweenLeasesIsCheckedAgainAndNothingOfTheOldOneIsAnswered() throws Exception {
        Path replacement = directory.resolve("replacement.duckdb");
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + replacement);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE unrelated (x INTEGER)"); // a DuckDB file without the memory's tables
        }
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database()))) {
            store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("old file"), ANY_VERSION));
            Leases.endLease(store);
            Files.move(replacement, database(), StandardCopyOption.REPLACE_EXISTING);

            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("k")).result(),
                    "the new file has no such key, whatever this JVM remembered");
            assertEquals(StoredValue.text("new"), store.execute(TIMEOUT, session -> {
                session.store("fresh", StoredValue.text("new"), ANY_VERSION);
                return session.load("fresh").orElseThrow().value();
            }).result(), "the tables were created in the new file");
        }
    }

    @Test
    void aJournalDeletedUnderTheLeaseLosesNoAcknowledgedWrite() throws Exception {
        Path journal = directory.resolve("memory.duckdb.journal");
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database()))) {
            store.execute(TIMEOUT, session -> session.store("acknowledged", StoredValue.text("kept"), ANY_VERSION));
            assertTrue(Files.deleteIfExists(journal), "the write went to the journal");

            StoreException refused = assertThrows(StoreException.class, () -> store.execute(TIMEOUT,
                    session -> session.store("unacknowledged", StoredValue.text("never"), ANY_VERSION)));
            assertTrue(refused.getMessage().contains("was deleted"), refused::getMessage);

            assertEquals(Optional.of(StoredValue.text("kept")), store.execute(TIMEOUT,
                    session -> session.load("acknowledged")).result().map(MemoryEntry::value),
                    "applied to DuckDB when the journal was found gone; no loss to report");
            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("unacknowledged"))
                    .result());
        }
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database());
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT text_value FROM " + Schema.ENTRIES
                                                    + " WHERE key = 'acknowledged'")) {
            assertTrue(row.next());
            assertEquals("kept", row.getString(1));
        }
    }

    @Test
    void anOrphanTakenOverByALeaseWhoseStartFailsIsStillReported() throws Exception {
        Path notADatabase = Files.writeString(database(), "plain text, not a DuckDB database\n");
        Path lockFile = StoreSettings.defaultLockFile(notADatabase);
        try (ChildJvm holder = ChildJvm.start(directory.resolve("tmp"), LockChild.class, "hold",
                lockFile.toString())) {
            holder.awaitLine("HELD", CHILD_START);
            holder.kill9();
        }
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(notADatabase))) {
            assertThrows(StoreException.class, () -> store.execute(TIMEOUT, session -> null));
            List<LockEvent> takeovers = store.drainTakeovers();
            assertEquals(1, takeovers.size(), takeovers::toString);
            assertEquals(LockEvent.Type.ORPHANED, takeovers.get(0).type());
        }
    }

    @Test
    void aCallerToldTheStoreIsClosedNeverHasItsWorkRun() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        ExecutorService completions = Executors.newCachedThreadPool();
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<CompletionStage<?>> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database()));
        store.execute(TIMEOUT, session -> null);
        for (int caller = 0; caller < 4; caller++) {
            callers.execute(() -> {
                while (true) {
                    try {
                        answers.add(store.executeAsync(TIMEOUT, session -> session.increment("n", 1), completions)
                                .thenRun(acknowledged::incrementAndGet));
                    } catch (IllegalStateException closed) {
                        refused.incrementAndGet();
                        return;
                    }
                }
            });
        }
        while (acknowledged.get() < 200) {
            Thread.onSpinWait();
        }
        store.close();
        callers.shutdown();
        assertTrue(callers.awaitTermination(30, TimeUnit.SECONDS));
        for (CompletionStage<?> answer : answers) {
            try {
                answer.toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException failedOrClosed) {
                assertInstanceOf(Exception.class, failedOrClosed.getCause());
            }
        }
        completions.shutdown();
        assertEquals(4, refused.get());
        try (DuckDbMemory reopened = DuckDbMemory.open(StoreSettings.of(database()))) {
            long counted = Long.parseLong(reopened.execute(TIMEOUT, session -> session.load("n")).result()
                    .orElseThrow().value().text());
            assertEquals(acknowledged.get(), counted, "every increment that ran was acknowledged, and no other");
        }
    }
}
