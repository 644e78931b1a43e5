package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.robustmemory.duckdb.lock.LockEvent;
import dev.robustmemory.duckdb.lock.LockException;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockLostException;
import dev.robustmemory.duckdb.lock.OwnerRecord;
import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a memory, the files it creates, and how it behaves under the lock. */
class DuckDbMemoryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();

    @TempDir
    Path directory;

    private static void assertMessageContains(Throwable e, String expected) {
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "'" + expected + "' not in: " + e.getMessage());
    }

    private static String permissions(Path file) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void createsParentDirectoriesAndATableReadableWithoutThisLibrary() throws Exception {
        Path database = directory.resolve("a/b/c/memory.duckdb");
        long token;
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            token = store.execute(TIMEOUT, session -> session.store("greeting", StoredValue.text("hello"), ANY_VERSION))
                    .fencingToken();
        }
        assertTrue(Files.isRegularFile(directory.resolve("a/b/c/memory.duckdb.lock")));
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database);
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT kind, text_value, version, fencing_token FROM "
                                                    + Schema.ENTRIES + " WHERE key = 'greeting'")) {
            assertTrue(row.next());
            assertEquals("TEXT", row.getString(1));
            assertEquals("hello", row.getString(2));
            assertEquals(1, row.getLong(3));
            assertEquals(token, row.getLong(4));
        }
    }

    @Test
    void refusesAFileThatIsNotADuckDbDatabaseAtTheFirstOperationAndLeavesItUntouched() throws Exception {
        Path notADatabase = directory.resolve("notes.duckdb");
        byte[] content = new byte[20_000];
        new Random(7).nextBytes(content);
        Files.write(notADatabase, content);
        Path empty = Files.createFile(directory.resolve("empty.duckdb"));

        StoreException e = assertThrows(StoreException.class, () -> createDatabase(notADatabase));
        assertMessageContains(e, "is not a DuckDB database");
        assertMessageContains(e, notADatabase.toString());
        assertArrayEquals(content, Files.readAllBytes(notADatabase));
        assertFalse(Files.exists(directory.resolve("notes.duckdb.wal")));

        assertMessageContains(assertThrows(StoreException.class, () -> createDatabase(empty)),
                "is not a DuckDB database");
        assertEquals(0, Files.size(empty));
    }

    /** Opening takes no lock and opens no database: the first operation creates it. */
    private static void createDatabase(Path database) throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            store.execute(TIMEOUT, session -> null);
        }
    }

    @Test
    void aFileOfTheEarlierSchemaIsUpgradedWithItsRevisionAfterEveryVersionInUse() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("v"), ANY_VERSION));
        }
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database);
             Statement statement = connection.createStatement()) {
            // What schema version 2 left: versions counted per key, no revision row.
            statement.execute("UPDATE " + Schema.ENTRIES + " SET version = 40");
            statement.execute("DELETE FROM " + Schema.META + " WHERE name = 'revision'");
            statement.execute("UPDATE " + Schema.META + " SET value = 2 WHERE name = 'schema_version'");
        }
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            assertEquals(41, store.execute(TIMEOUT, session -> session.store("other", StoredValue.text("w"),
                    ANY_VERSION)).result().version());
        }
    }

    @Test
    void refusesADirectoryAsDatabase() throws Exception {
        Path database = Files.createDirectory(directory.resolve("memory.duckdb"));
        assertMessageContains(assertThrows(StoreException.class, () -> DuckDbMemory.open(StoreSettings.of(database))),
                "is a directory");
    }

    @Test
    void refusesADirectoryAtTheJournalPathBeforeCreatingAnything() throws Exception {
        Files.createDirectory(directory.resolve("memory.duckdb.journal"));
        Path database = directory.resolve("memory.duckdb");
        assertMessageContains(assertThrows(StoreException.class, () -> DuckDbMemory.open(StoreSettings.of(database))),
                "memory.duckdb.journal is a directory");
        assertFalse(Files.exists(database));
    }

    @Test
    void refusesInMemoryAndOtherSpecialNamesWithoutCreatingALockFile() {
        for (String special : new String[]{":memory:", ":memory:shared", ":anything"}) {
            StoreException e = assertThrows(StoreException.class, () -> DuckDbMemory.open(StoreSettings.of(Path.of(special))));
            assertMessageContains(e, "needs a database file");
        }
        assertFalse(Files.exists(Path.of(":memory:.lock")));
    }

    @Test
    void refusesPathsTheJdbcUrlCannotCarry() {
        assertMessageContains(assertThrows(StoreException.class,
                () -> DuckDbMemory.open(StoreSettings.of(directory.resolve("a;access_mode=READ_ONLY.duckdb")))), "';'");
        assertThrows(StoreException.class, () -> DuckDbMemory.open(StoreSettings.of(directory.resolve("d;x/m.duckdb"))));
        assertFalse(Files.exists(directory.resolve("d;x")), "refused before creating anything");
    }

    @Test
    void refusesADirectoryItCannotWrite() throws Exception {
        Path readOnly = Files.createDirectory(directory.resolve("read-only"));
        try (var guard = UnwritableDirectory.make(readOnly)) {
            assumeTrue(guard.isUnwritable(), "cannot make a directory unwritable for this user here");
            StoreException e = assertThrows(StoreException.class,
                    () -> DuckDbMemory.open(StoreSettings.of(readOnly.resolve("memory.duckdb"))));
            assertMessageContains(e, "not writable");
            StoreException below = assertThrows(StoreException.class,
                    () -> DuckDbMemory.open(StoreSettings.of(readOnly.resolve("sub/memory.duckdb"))));
            assertMessageContains(below, "Cannot create the directory");
        }
    }

    @Test
    void refusesADirectoryPathThroughAFile() throws Exception {
        Path file = Files.writeString(directory.resolve("plain-file"), "x");
        assertMessageContains(assertThrows(StoreException.class,
                () -> DuckDbMemory.open(StoreSettings.of(file.resolve("memory.duckdb")))), "is not a directory");
    }

    @Test
    void reportsALockPathThatIsADirectory() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        Files.createDirectory(directory.resolve("memory.duckdb.lock"));
        assertMessageContains(assertThrows(LockException.class, () -> DuckDbMemory.open(StoreSettings.of(database))),
                "directory");
        assertFalse(Files.exists(database));
    }

    @Test
    void refusesTheDatabaseOrItsLogsAsLockFile() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        LockFileSettings lockSettings = LockFileSettings.defaults();
        long maxSize = StoreSettings.DEFAULT_MAX_VALUE_SIZE;
        for (Path lockFile : new Path[]{database, directory.resolve("./memory.duckdb.wal"),
                directory.resolve("memory.duckdb.journal"), directory.resolve("memory.duckdb.journal.creating"),
                directory.resolve("sub/../memory.duckdb")}) {
            StoreException e = assertThrows(StoreException.class,
                    () -> DuckDbMemory.open(new StoreSettings(database, lockFile, lockSettings, maxSize)));
            assertMessageContains(e, "is the database file, its write-ahead log or the memory's journal");
        }
        Path link = Files.createSymbolicLink(directory.resolve("link.lock"), database);
        StoreSettings throughLink = new StoreSettings(database, link, lockSettings, maxSize);
        assertThrows(IOException.class, () -> DuckDbMemory.open(throughLink), "dangling link");
        assertFalse(Files.exists(database), "nothing was created at the database path");

        createDatabase(database);
        byte[] created = Files.readAllBytes(database);
        assertMessageContains(assertThrows(StoreException.class, () -> DuckDbMemory.open(throughLink)),
                "is the database file");
        assertArrayEquals(created, Files.readAllBytes(database));
    }

    @Test
    void twoStoresOnOneDatabaseMustShareTheLockFile() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        StoreSettings other = new StoreSettings(database, directory.resolve("other.lock"), LockFileSettings.defaults(),
                StoreSettings.DEFAULT_MAX_VALUE_SIZE);
        try (DuckDbMemory first = DuckDbMemory.open(StoreSettings.of(database))) {
            assertMessageContains(assertThrows(StoreException.class, () -> DuckDbMemory.open(other)),
                    "already open in this JVM with the lock file");
            try (DuckDbMemory second = DuckDbMemory.open(StoreSettings.of(directory.resolve("x/../memory.duckdb")))) {
                first.execute(TIMEOUT, session -> session.increment("n", 1));
                assertEquals(StoredValue.json("2"), second.execute(TIMEOUT, session -> session.increment("n", 1))
                        .result().value());
                assertEquals(first.lock(), second.lock());
            }
            assertThrows(StoreException.class, () -> DuckDbMemory.open(other), "one store is still open");
        }
        try (DuckDbMemory reopened = DuckDbMemory.open(other)) {
            assertEquals(StoredValue.json("2"), reopened.execute(TIMEOUT, session -> session.load("n")).result()
                    .orElseThrow().value());
        }
    }

    @Test
    void createdFilesAreOwnerOnlyAndTheLogsMirrorTheDatabase() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            store.execute(TIMEOUT, session -> null);
            assertEquals("rw-------", permissions(database));
            assertEquals("rw-------", permissions(store.lock().path()));
            String logPermissions = store.execute(TIMEOUT, session -> {
                session.store("secret", StoredValue.text("s3cr3t"), ANY_VERSION);
                return permissions(directory.resolve("memory.duckdb.wal"));
            }).result();
            assertEquals("rw-------", logPermissions);
            assertEquals("rw-------", permissions(directory.resolve("memory.duckdb.journal")));
        }

        Path shared = directory.resolve("shared.duckdb");
        StoreSettings groupShared = new StoreSettings(shared, StoreSettings.defaultLockFile(shared),
                new LockFileSettings(PosixFilePermissions.fromString("rw-rw----"), false),
                StoreSettings.DEFAULT_MAX_VALUE_SIZE);
        try (DuckDbMemory store = DuckDbMemory.open(groupShared)) {
            store.execute(TIMEOUT, session -> null);
            assertEquals("rw-rw----", permissions(shared));
            assertEquals("rw-rw----", store.execute(TIMEOUT, session -> permissions(directory.resolve("shared.duckdb.wal")))
                    .result());
            assertEquals("rw-rw----", permissions(directory.resolve("shared.duckdb.journal")));
        }
    }

    @Test
    void anExistingDatabaseKeepsItsPermissions() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        createDatabase(database);
        Files.setPosixFilePermissions(database, PosixFilePermissions.fromString("rw-r-----"));
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            store.execute(TIMEOUT, session -> session.increment("n", 1));
        }
        assertEquals("rw-r-----", permissions(database));
    }

    @Test
    void aCorruptOwnerRecordDoesNotStopTheLock() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            byte[] garbage = new byte[OwnerRecord.SLOT_SIZE];
            Arrays.fill(garbage, (byte) '#');
            Leases.endLease(store); // no lock of this JVM may be held while another handle opens and closes the file
            Files.write(store.lock().path(), garbage);

            Outcome<MemoryEntry> outcome = store.execute(TIMEOUT, session -> session.increment("n", 1));
            assertEquals(outcome.fencingToken(), store.lock().readOwnerRecord().record().fencingToken());
            List<LockEvent> takeovers = store.drainTakeovers();
            assertEquals(1, takeovers.size(), takeovers::toString);
            assertEquals(LockEvent.Type.CORRUPT, takeovers.get(0).type());
            assertTrue(takeovers.get(0).cleaned(), "the new grant's record replaced it");
            assertEquals(List.of(), store.drainTakeovers(), "each takeover is told once");
        }
    }

    @Test
    void theLockFileKeepsItsInode() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            Object inode = Files.getAttribute(store.lock().path(), "unix:ino");
            for (int i = 0; i < 3; i++) {
                store.execute(TIMEOUT, session -> session.increment("n", 1));
            }
            assertThrows(StoreException.class, () -> store.execute(TIMEOUT, session -> {
                throw new StoreException("fails");
            }));
            Leases.endLease(store);
            assertEquals(inode, Files.getAttribute(store.lock().path(), "unix:ino"));
            assertEquals(OwnerRecord.State.RELEASED, store.lock().readOwnerRecord().record().state());
        }
    }

    @Test
    void theOutcomeReportsWaitAndHold() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            Outcome<String> outcome = store.execute(TIMEOUT, session -> "done");
            assertEquals("done", outcome.result());
            assertTrue(outcome.waitNanos() >= 0);
            assertTrue(outcome.holdNanos() > 0);
            assertEquals(List.of(), store.drainTakeovers(), "a fresh lock file: nobody was taken over");
        }
    }

    @Test
    void aLockLostDuringTheWorkCommitsNothing() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            LockLostException e = assertThrows(LockLostException.class, () -> store.execute(TIMEOUT, session -> {
                session.store("k", StoredValue.text("written under a lost lock"), ANY_VERSION);
                deleteLockFile(store);
                return null;
            }));
            assertMessageContains(e, "deleted");
            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("k")).result());
        }
    }

    private static void deleteLockFile(DuckDbMemory store) throws StoreException {
        try {
            Files.delete(store.lock().path());
        } catch (IOException e) {
            throw new StoreException("test setup", e);
        }
    }

    @Test
    void aTimeoutOfZeroSucceedsOnAFreeLockAndFailsAtOnceOnAHeldOne() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            assertEquals(1, store.execute(Duration.ZERO, session -> session.increment("n", 1)).result().version());
            try (LockGrant held = acquireOnOtherThread(store)) {
                assertNotNull(held);
                assertThrows(dev.robustmemory.duckdb.lock.LockTimeoutException.class,
                        () -> store.execute(Duration.ZERO, session -> session.increment("n", 1)));
            }
            assertEquals(StoredValue.json("1"), store.execute(TIMEOUT, session -> session.load("n")).result()
                    .orElseThrow().value());
        }
    }

    private static LockGrant acquireOnOtherThread(DuckDbMemory store) throws Exception {
        LockGrant[] grant = new LockGrant[1];
        Exception[] failure = new Exception[1];
        Thread thread = new Thread(() -> {
            try {
                grant[0] = store.lock().acquire(TIMEOUT);
            } catch (Exception e) {
                failure[0] = e;
            }
        });
        thread.start();
        thread.join();
        if (failure[0] != null) {
            throw failure[0];
        }
        return grant[0];
    }

    @Test
    void anInterruptedCallerHoldsNothingAndWritesNothing() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class,
                    () -> store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("v"), ANY_VERSION)));
            assertFalse(Thread.interrupted());
            try (LockGrant free = store.lock().acquire(TIMEOUT)) {
                assertNotNull(free, "the lease lets go when someone waits");
            }
            assertFalse(store.execute(TIMEOUT, session -> session.exists("k")).result());
        }
    }

    @Test
    void anInterruptOfTheThreadRunningTheWorkDoesNotBreakTheCommitOrTheLease() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            store.execute(TIMEOUT, session -> {
                session.store("before", StoredValue.text("v"), ANY_VERSION);
                Thread.currentThread().interrupt();
                return session.store("after", StoredValue.text("v"), ANY_VERSION);
            });
            assertEquals(2L, store.execute(TIMEOUT, MemorySession::size).result());
            try (LockGrant released = store.lock().acquire(TIMEOUT)) {
                assertNotNull(released);
            }
        }
    }

    @Test
    void aWorkCallingExecuteAgainFailsLoudlyInsteadOfWaitingForItself() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.execute(TIMEOUT,
                    session -> {
                        try {
                            return store.execute(TIMEOUT, MemorySession::size).result();
                        } catch (IOException | InterruptedException unexpected) {
                            throw new StoreException("not the expected refusal", unexpected);
                        }
                    }));
            assertMessageContains(e, "Re-entrant");
            assertEquals(0L, store.execute(TIMEOUT, MemorySession::size).result());
        }
    }

    @Test
    void aWorkThatThrowsAnErrorFailsAloneAndTheLeaseServesOn() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            assertThrows(AssertionError.class, () -> store.execute(TIMEOUT, session -> {
                throw new AssertionError("a bug in a work");
            }));
            assertEquals(1L, store.execute(TIMEOUT, session -> session.increment("n", 1)).result().version());
        }
    }

    @Test
    void aCallerInterruptedWhileItsWorkRunsGetsTheOutcomeAndKeepsTheInterrupt() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch proceed = new CountDownLatch(1);
            Thread caller = Thread.currentThread();
            Thread interrupter = new Thread(() -> {
                try {
                    running.await();
                    caller.interrupt();
                    proceed.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            interrupter.start();
            Outcome<MemoryEntry> outcome = store.execute(TIMEOUT, session -> {
                running.countDown();
                awaitUninterruptibly(proceed);
                return session.store("k", StoredValue.text("v"), ANY_VERSION);
            });
            assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
            assertEquals(1, outcome.result().version(), "a work that ran is reported, since it may have committed");
            assertTrue(store.execute(TIMEOUT, session -> session.exists("k")).result());
            interrupter.join();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // keep waiting: this test is about the caller's interrupt, not this thread's
            }
        }
    }

    @Test
    void checksKeysAndValuesBeforeAnyLock() throws Exception {
        StoreSettings settings = new StoreSettings(directory.resolve("memory.duckdb"),
                directory.resolve("memory.duckdb.lock"), LockFileSettings.defaults(), 10);
        try (DuckDbMemory store = DuckDbMemory.open(settings)) {
            assertMessageContains(assertThrows(InvalidEntryException.class, () -> store.checkKey(null)), "empty");
            assertMessageContains(assertThrows(InvalidEntryException.class, () -> store.checkKey("")), "empty");
            assertMessageContains(assertThrows(InvalidEntryException.class, () -> store.checkKey("k".repeat(1025))),
                    "the limit is 1024 characters");
            store.checkKey("k".repeat(1024));
            assertMessageContains(assertThrows(InvalidEntryException.class, () -> store.checkKey("a\uDC00b")),
                    "unpaired");

            store.checkValue(StoredValue.text("0123456789"));
            store.checkValue(StoredValue.bytes(new byte[10]));
            store.checkValue(StoredValue.text("é".repeat(5)));
            assertMessageContains(assertThrows(InvalidEntryException.class,
                    () -> store.checkValue(StoredValue.text("é".repeat(6)))), "12 bytes; the limit (maxValueSize) is 10");
            assertThrows(InvalidEntryException.class, () -> store.checkValue(StoredValue.bytes(new byte[11])));
            assertThrows(InvalidEntryException.class, () -> store.checkValue(StoredValue.json("[1,2,3,4,5]")));
            store.checkValue(StoredValue.text("\uD83D\uDE00\uD83D\uDE00"));
            assertThrows(InvalidEntryException.class,
                    () -> store.execute(TIMEOUT, session -> session.store("k", StoredValue.bytes(new byte[11]), ANY_VERSION)));
        }
    }

    @Test
    void threadsOfOneJvmTakeTurnsWithoutLosingAnUpdate() throws Exception {
        int threads = 4;
        int incrementsEach = 15;
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<List<Long>>> tokens = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                tokens.add(pool.submit(() -> {
                    List<Long> seen = new ArrayList<>();
                    for (int i = 0; i < incrementsEach; i++) {
                        seen.add(store.execute(TIMEOUT, session -> session.increment("n", 1)).fencingToken());
                    }
                    return seen;
                }));
            }
            for (Future<List<Long>> future : tokens) {
                List<Long> seen = future.get();
                assertEquals(seen.stream().sorted().toList(), seen, "tokens never go backwards within a thread");
            }
            pool.shutdown();
            assertEquals(StoredValue.json(Integer.toString(threads * incrementsEach)),
                    store.execute(TIMEOUT, session -> session.load("n")).result().orElseThrow().value());
        }
    }

    @Test
    void aClosedStoreRefusesWork() throws Exception {
        DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")));
        store.close();
        store.close();
        assertThrows(IllegalStateException.class, () -> store.execute(TIMEOUT, MemorySession::size));
    }

    @Test
    void valuesSurviveReopening() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            store.execute(TIMEOUT, session -> session.store("k", StoredValue.bytes("v".getBytes(StandardCharsets.UTF_8)),
                    ANY_VERSION));
        }
        assertFalse(Files.exists(directory.resolve("memory.duckdb.wal")), "checkpointed and removed on close");
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            assertArrayEquals("v".getBytes(StandardCharsets.UTF_8),
                    store.execute(TIMEOUT, session -> session.load("k")).result().orElseThrow().value().bytes());
        }
    }

    @Test
    void writesOfManyBatchesReachDuckDbInOneMergeWhenTheLeaseEnds() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            for (int i = 0; i < 30; i++) {
                String key = "k" + i;
                store.execute(TIMEOUT, session -> session.store(key, StoredValue.text("v1"), ANY_VERSION));
            }
            store.execute(TIMEOUT, session -> session.store("k0", StoredValue.json("{\"v\": 2}"), ANY_VERSION));
            store.execute(TIMEOUT, session -> session.store("k1", StoredValue.bytes(new byte[]{0, 1, -1}), ANY_VERSION));
            store.execute(TIMEOUT, session -> session.delete("k2"));
            store.execute(TIMEOUT, session -> session.store("new", StoredValue.text("n"), ANY_VERSION));
            store.execute(TIMEOUT, session -> session.delete("new"));
        }
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database);
             Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery("SELECT count(*), count(*) FILTER (WHERE key IN ('k2', 'new'))"
                                                         + " FROM " + Schema.ENTRIES)) {
                assertTrue(rows.next());
                assertEquals(29, rows.getLong(1));
                assertEquals(0, rows.getLong(2));
            }
            try (ResultSet rows = statement.executeQuery("SELECT key, kind, text_value, bytes_value, version FROM "
                                                         + Schema.ENTRIES + " WHERE key IN ('k0', 'k1', 'k3')"
                                                         + " ORDER BY key")) {
                assertTrue(rows.next());
                assertEquals(List.of("k0", "JSON", "{\"v\": 2}", 31L), List.of(rows.getString(1), rows.getString(2),
                        rows.getString(3), rows.getLong(5)));
                assertTrue(rows.next());
                assertEquals(List.of("k1", "BYTES", 32L), List.of(rows.getString(1), rows.getString(2), rows.getLong(5)));
                assertArrayEquals(new byte[]{0, 1, -1}, rows.getBytes(4));
                assertTrue(rows.next());
                assertEquals(List.of("k3", "TEXT", "v1", 4L), List.of(rows.getString(1), rows.getString(2),
                        rows.getString(3), rows.getLong(5)));
            }
        }
    }

    @Test
    void aBatchThatAppliedTheJournalAndThenRolledBackLosesNoJournaledWrite() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            for (int i = 0; i < 10; i++) {
                String key = "k" + i;
                store.execute(TIMEOUT, session -> session.store(key, StoredValue.text("kept"), ANY_VERSION));
            }
            assertThrows(IllegalStateException.class, () -> store.execute(TIMEOUT, session -> {
                session.keys(null); // applies the journal in this transaction
                session.store("k0", StoredValue.text("rolled back"), ANY_VERSION);
                throw new IllegalStateException("the work fails after writing");
            }));
            Leases.endLease(store);
            assertEquals(10, store.execute(TIMEOUT, MemorySession::size).result());
            assertEquals(StoredValue.text("kept"), store.execute(TIMEOUT, session -> session.load("k0")).result()
                    .orElseThrow().value());
        }
    }

    @Test
    void aValueLargerThanTheJournalGoesStraightToDuckDbAndLosesNothingAroundIt() throws Exception {
        byte[] big = new byte[WriteAheadJournal.CAPACITY + 1];
        new Random(3).nextBytes(big);
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            store.execute(TIMEOUT, session -> session.store("before", StoredValue.text("b"), ANY_VERSION));
            store.execute(TIMEOUT, session -> session.store("big", StoredValue.bytes(big), ANY_VERSION));
            store.execute(TIMEOUT, session -> session.store("after", StoredValue.text("a"), ANY_VERSION));
            Leases.endLease(store);
            assertArrayEquals(big, store.execute(TIMEOUT, session -> session.load("big")).result().orElseThrow()
                    .value().bytes());
            assertEquals(List.of("after", "before", "big"), store.execute(TIMEOUT, session -> session.keys(null))
                    .result());
        }
    }
}
