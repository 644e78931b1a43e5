package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The store against other processes: a program ignoring the lock, a JVM killed with SIGKILL. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DuckDbMemoryProcessTest {

    private static final Duration CHILD_START = Duration.ofSeconds(60);

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path directory;
    private Path database;
    private Path childTemp;

    @BeforeEach
    void createDatabase() throws Exception {
        database = directory.resolve("memory.duckdb");
        childTemp = Files.createDirectory(directory.resolve("child-tmp"));
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            store.execute(Duration.ofSeconds(10), session -> null); // the first operation creates the database
        }
    }

    @Test
    void whileAProgramHoldsTheDatabaseAShortTimeoutBatchedWithALongOneFailsAtItsOwnDeadline() throws Exception {
        ExecutorService completions = Executors.newSingleThreadExecutor();
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database));
             ChildJvm foreign = StoreTestProcess.holdingDuckDb(childTemp, database)) {
            long start = System.nanoTime();
            var patient = store.executeAsync(Duration.ofSeconds(3), session -> session.increment("n", 1), completions)
                    .toCompletableFuture();
            var hurried = store.executeAsync(Duration.ofMillis(200), session -> session.increment("n", 1), completions)
                    .toCompletableFuture();

            Exception failure = assertThrows(Exception.class, hurried::join);
            long hurriedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(failure.getCause() instanceof DatabaseHeldException, failure::toString);
            assertTrue(failure.getCause().getMessage().contains("(PID " + foreign.pid() + ")"), failure::toString);
            assertTrue(hurriedMillis < 2000, "the 200 ms caller waited " + hurriedMillis + " ms, as long as the other");
            assertThrows(Exception.class, patient::join);
            assertEquals(0, foreign.finish(CHILD_START));
            assertEquals(Optional.empty(), store.execute(Duration.ofSeconds(10), session -> session.load("n"))
                    .result(), "neither increment ran");
        } finally {
            completions.shutdownNow();
        }
    }

    @Test
    void aProgramHoldingTheDatabaseWithoutTheLockIsRetriedUntilTheTimeoutThenNamed() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database));
             ChildJvm foreign = StoreTestProcess.holdingDuckDb(childTemp, database)) {
            AtomicInteger refusals = new AtomicInteger();
            store.onDatabaseHeldByAnotherProgram(refusals::incrementAndGet);

            long start = System.nanoTime();
            StoreException e = assertThrows(StoreException.class,
                    () -> store.execute(Duration.ofMillis(300), session -> session.increment("n", 1)));
            long elapsedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();

            assertTrue(e.getMessage().contains("Another program holds the DuckDB database " + database.toRealPath()
                                               + " open without the robustmemory lock"), e.getMessage());
            assertTrue(e.getMessage().contains("Could not set lock on file"), e.getMessage());
            assertTrue(e.getMessage().contains("(PID " + foreign.pid() + ")"), e.getMessage());
            assertTrue(elapsedMillis >= 300, "gave up after " + elapsedMillis + " ms");
            assertTrue(refusals.get() > 1, "retried: " + refusals.get());

            refusals.set(0);
            assertThrows(StoreException.class, () -> store.execute(Duration.ZERO, session -> session.increment("n", 1)));
            assertEquals(1, refusals.get(), "a zero timeout tries once");
            try (LockGrant free = store.lock().acquire(Duration.ZERO)) {
                assertNotNull(free, "the failed calls released the lock");
            }

            assertEquals(0, foreign.finish(CHILD_START));
        }
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("n")).result(),
                    "nothing was written");
        }
    }

    @Test
    void theWorkRunsOnceTheForeignProgramLetsGo() throws Exception {
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database));
             ChildJvm foreign = StoreTestProcess.holdingDuckDb(childTemp, database)) {
            CountDownLatch refused = new CountDownLatch(1);
            store.onDatabaseHeldByAnotherProgram(refused::countDown);

            Future<Outcome<MemoryEntry>> call = caller.submit(() -> store.execute(TIMEOUT,
                    session -> session.store("k", StoredValue.text("after the wait"), OptionalLong.empty())));
            refused.await();
            assertEquals(0, foreign.finish(CHILD_START));

            Outcome<MemoryEntry> outcome = call.get();
            assertEquals(1, outcome.result().version());
            assertEquals(StoredValue.text("after the wait"),
                    store.execute(TIMEOUT, session -> session.load("k")).result().orElseThrow().value());
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    void anInterruptWhileWaitingForTheForeignProgramLeavesNothingHeldAndNothingWritten() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database));
             ChildJvm foreign = StoreTestProcess.holdingDuckDb(childTemp, database)) {
            Thread caller = Thread.currentThread();
            AtomicBoolean interrupted = new AtomicBoolean();
            store.onDatabaseHeldByAnotherProgram(() -> {
                if (interrupted.compareAndSet(false, true)) {
                    caller.interrupt(); // once: the lease thread may retry again before it sees the caller gone
                }
            });

            assertThrows(InterruptedException.class, () -> store.execute(TIMEOUT, session -> session.increment("n", 1)));
            assertFalse(Thread.interrupted(), "the interrupt was reported by the exception");
            try (LockGrant free = store.lock().acquire(TIMEOUT)) {
                assertNotNull(free, "the interrupted call's lease let the lock go");
            }
            assertEquals(0, foreign.finish(CHILD_START));
            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("n")).result());
        }
    }

    @Test
    void aKilledJvmLeavesNoCopyOfTheNativeLibraryBehind() throws Exception {
        Path abandoned = Files.write(childTemp.resolve("libduckdb_java111.so"), new byte[]{1});
        Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        Path starting = Files.write(childTemp.resolve("libduckdb_java222.so"), new byte[]{1});

        // Held open as a starting JVM holds the copy it writes: the janitor keeps such a copy however long the child
        // takes to start, where a copy nobody has open is kept only for a few seconds.
        try (FileChannel writer = FileChannel.open(starting, StandardOpenOption.WRITE);
             ChildJvm child = ChildJvm.start(childTemp, StoreTestProcess.class, StoreTestProcess.STORE_AND_WAIT,
                     database.toString())) {
            child.awaitLine(StoreTestProcess.READY, CHILD_START);
            assertEquals(Set.of(starting.getFileName().toString()), nativeLibraryCopies(childTemp),
                    "the running child deleted its own copy and the abandoned one, not the one being written");
            child.kill9();
        }
        assertEquals(Set.of(starting.getFileName().toString()), nativeLibraryCopies(childTemp));
    }

    @Test
    void aWriteAcknowledgedFromTheJournalSurvivesItsHoldersKillAndNoLogWasEverWidelyReadable() throws Exception {
        storeInAChildThatDiesHoldingTheLease("k", "committed");
        for (String log : new String[]{"memory.duckdb.wal", "memory.duckdb.journal"}) {
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(directory.resolve(log))), log);
        }
        assertEquals(Optional.empty(), rawValue("k"), "acknowledged from the journal, never applied to DuckDB");

        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            MemoryEntry entry = store.execute(TIMEOUT, session -> session.load("k")).result().orElseThrow();
            assertEquals(StoredValue.text("committed"), entry.value());
        }
        assertEquals(Optional.of("committed"), rawValue("k"), "the next holder applied the journal");
    }

    @Test
    void aJournalDeletedWithAnAcknowledgedWriteInItIsReportedOnceInsteadOfSilentlyStartedOver() throws Exception {
        storeInAChildThatDiesHoldingTheLease("k", "acknowledged");
        Files.delete(directory.resolve("memory.duckdb.journal"));

        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            IOException e = assertThrows(IOException.class, () -> store.execute(TIMEOUT, session -> session.load("k")));
            assertTrue(e.getMessage().contains("acknowledged writes not yet applied to the database may be lost"),
                    e.getMessage());
            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("k")).result(),
                    "lost with the journal; the memory goes on with a new one");
        }
    }

    @Test
    void whatThisJvmKnowsFollowsTheWritesOfAnotherProcess() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database));
             ChildJvm other = ChildJvm.start(childTemp, StoreTestProcess.class, StoreTestProcess.SERVE_COMMANDS,
                     database.toString())) {
            other.awaitLine(StoreTestProcess.READY, CHILD_START);
            store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("mine"), OptionalLong.empty()));
            assertEquals(Optional.of("mine"), textOf(store, "k"));

            runInOther(other, "store k theirs"); // journaled by the other process, not applied
            assertEquals(Optional.of("theirs"), textOf(store, "k"));
            assertEquals(2, store.execute(TIMEOUT, session -> session.load("k")).result().orElseThrow().version());

            runInOther(other, "delete k");
            assertEquals(Optional.empty(), textOf(store, "k"));

            store.execute(TIMEOUT, session -> session.store("p/1", StoredValue.text("x"), OptionalLong.empty()));
            assertEquals(Optional.of("x"), textOf(store, "p/1"));
            runInOther(other, "clear p/"); // DuckDB written directly
            assertEquals(Optional.empty(), textOf(store, "p/1"));
            assertEquals(0, store.execute(TIMEOUT, MemorySession::size).result());
        }
    }

    /**
     * An entry another process wrote to expire is gone here the moment it expires, though this JVM learnt it from the
     * journal and holds it in its cache: both processes go by the host's one wall clock.
     */
    @Test
    void anEntryWrittenByAnotherProcessExpiresHereAtItsTime() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database));
             ChildJvm other = ChildJvm.start(childTemp, StoreTestProcess.class, StoreTestProcess.SERVE_COMMANDS,
                     database.toString())) {
            other.awaitLine(StoreTestProcess.READY, CHILD_START);
            runInOther(other, "store-for k theirs PT3S");
            MemoryEntry entry = store.execute(TIMEOUT, session -> session.load("k")).result().orElseThrow();
            Instant expiresAt = entry.expiresAt().orElseThrow();
            assertTrue(Instant.now().isBefore(expiresAt), "read within its three seconds");
            for (Instant now; (now = Instant.now()).isBefore(expiresAt); ) {
                Thread.sleep(Duration.between(now, expiresAt).toMillis() + 1); // waiting for a time, not an event
            }
            assertEquals(Optional.empty(), textOf(store, "k"));
            assertEquals(0, store.execute(TIMEOUT, MemorySession::size).result());
        }
    }

    /** The write is acknowledged to the child, in its journal only: the child dies before anything applies it. */
    private void storeInAChildThatDiesHoldingTheLease(String key, String value) throws Exception {
        try (ChildJvm child = ChildJvm.start(childTemp, StoreTestProcess.class, StoreTestProcess.COMMIT_THEN_HALT,
                database.toString(), key, value)) {
            child.awaitLine(StoreTestProcess.READY, CHILD_START);
            assertEquals(StoreTestProcess.HALT_STATUS, child.awaitExit(CHILD_START));
        }
    }

    private static void runInOther(ChildJvm other, String command) throws Exception {
        other.tell(command);
        other.awaitLine(StoreTestProcess.DONE, CHILD_START);
    }

    private static Optional<String> textOf(DuckDbMemory store, String key) throws Exception {
        return store.execute(TIMEOUT, session -> session.load(key)).result().map(entry -> entry.value().text());
    }

    /** The key's text as DuckDB itself has it, without the store (and its journal). */
    private Optional<String> rawValue(String key) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database);
             PreparedStatement select = connection.prepareStatement(
                     "SELECT text_value FROM " + Schema.ENTRIES + " WHERE key = ?")) {
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(row.getString(1)) : Optional.empty();
            }
        }
    }

    private static Set<String> nativeLibraryCopies(Path directory) throws IOException {
        Set<String> names = new TreeSet<>();
        try (DirectoryStream<Path> copies = Files.newDirectoryStream(directory, "libduckdb_java*.so")) {
            copies.forEach(copy -> names.add(copy.getFileName().toString()));
        }
        return names;
    }
}
