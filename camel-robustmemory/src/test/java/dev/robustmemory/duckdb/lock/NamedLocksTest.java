package dev.robustmemory.duckdb.lock;

import dev.robustmemory.memory.NamedLockStatistics;
import dev.robustmemory.memory.NamedLockTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Named locks within one JVM: names, slots, validation, tokens, timeouts, release from any thread, statistics. */
class NamedLocksTest {

    /** Two names of one slot (found by search: CRC32C of their UTF-8 bytes agree in the low 12 bits). */
    private static final String COLLIDING = "order-92";
    private static final String COLLIDING_TOO = "order-260";

    @TempDir
    Path dir;
    private NamedLocks locks;

    @BeforeEach
    void open() throws Exception {
        locks = NamedLocks.open(dir.resolve("m.db.names.lock"), LockFileSettings.defaults());
    }

    @AfterEach
    void close() {
        locks.close();
    }

    @Test
    void namesMapToSlotsByCrc32cOfTheirUtf8Bytes() {
        assertEquals(2439, NamedLocks.slotOf("order-4711"), "stable across JVMs and versions: part of the file format");
        assertEquals(NamedLocks.slotOf(COLLIDING), NamedLocks.slotOf(COLLIDING_TOO));
        assertEquals(dir.resolve("m.db.names.lock"), NamedLocks.fileFor(dir.resolve("m.db")));
    }

    @Test
    void theNewestTokenComesFromTheFileAtThePathOnceTheOpenOneWasReplaced() throws Exception {
        Path file = dir.resolve("m.db.names.lock");
        try (NamedLockGrant held = locks.acquire("order-1", Duration.ZERO)) {
            assertEquals(held.token(), locks.newestToken("order-1"));
            Files.move(file, dir.resolve("moved-away"));
            assertTrue(locks.newestToken("order-1") > held.token(), "deleted: errs high");
            Files.createFile(file);
            assertEquals(0, locks.newestToken("order-1"), "the file now at the path has granted nothing");
            assertFalse(held.isHeld(), "the grant is on a file that is no longer at the path");
            Files.delete(file);
            Files.move(dir.resolve("moved-away"), file);
            assertTrue(held.isHeld(), "back at its path: reading the replacement dropped no record lock of it");
        }
    }

    @Test
    void invalidNamesAndTimeoutsAreRefusedWithAClearMessage() {
        assertTrue(message(() -> locks.acquire("", Duration.ZERO)).contains("must not be empty"));
        assertTrue(message(() -> locks.acquire(null, Duration.ZERO)).contains("must not be empty"));
        assertTrue(message(() -> locks.acquire("é".repeat(513), Duration.ZERO)).contains("at most 1024 UTF-8 bytes, not 1026"));
        assertTrue(message(() -> locks.acquire("a\uD800b", Duration.ZERO)).contains("unpaired surrogate"));
        assertTrue(message(() -> locks.acquire("n", Duration.ofMillis(-1))).contains("must not be negative"));
        assertEquals(0, locks.statistics().waitingNow());
    }

    @Test
    void aNameOfExactly1024BytesIsAccepted() throws Exception {
        try (NamedLockGrant grant = locks.acquire("é".repeat(512), Duration.ZERO)) {
            assertTrue(grant.isHeld());
        }
    }

    @Test
    void aDirectoryInPlaceOfTheFileIsAClearError() throws Exception {
        Path directory = Files.createDirectories(dir.resolve("taken.names.lock"));
        LockException e = assertThrows(LockException.class, () -> NamedLocks.open(directory, LockFileSettings.defaults()));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertEquals(directory, e.lockFile());
    }

    @Test
    void tokensGrowByOnePerGrantOfASlotAndAreReadWithoutTheLock() throws Exception {
        assertEquals(0, locks.newestToken("order-4711"), "never granted");
        long first;
        try (NamedLockGrant grant = locks.acquire("order-4711", Duration.ZERO)) {
            first = grant.token();
            assertEquals(first, locks.newestToken("order-4711"), "readable while held");
            assertEquals("order-4711", grant.name());
            assertEquals(2439, grant.slot());
        }
        // the same clock at the same resolution as the token: milliseconds would truncate below a token of this millisecond
        long microsNow = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        assertTrue(first <= microsNow && first > microsNow - TimeUnit.MINUTES.toMicros(1),
                "a slot's first token is the wall clock in microseconds: " + first);
        try (NamedLockGrant grant = locks.acquire("order-4711", Duration.ZERO)) {
            assertEquals(first + 1, grant.token());
        }
        try (NamedLockGrant grant = locks.acquire(COLLIDING, Duration.ZERO)) {
            long colliding = grant.token();
            assertThrows(NamedLockTimeoutException.class, () -> locks.acquire(COLLIDING, Duration.ZERO),
                    "no re-entry: one holder per slot, even in one thread");
            grant.close();
            try (NamedLockGrant other = locks.acquire(COLLIDING_TOO, Duration.ZERO)) {
                assertEquals(colliding + 1, other.token(), "names of one slot share its sequence");
            }
        }
    }

    @Test
    void aHeldNameBlocksItsSlotOnlyAndTimesOutAfterTheTimeout() throws Exception {
        try (NamedLockGrant held = locks.acquire(COLLIDING, Duration.ZERO)) {
            NamedLockGrant other = CompletableFuture.supplyAsync(() -> acquire("order-4711", Duration.ZERO))
                    .get(5, TimeUnit.SECONDS);
            other.close();

            long start = System.nanoTime();
            assertThrows(NamedLockTimeoutException.class,
                    () -> unwrap(CompletableFuture.supplyAsync(() -> acquire(COLLIDING_TOO, Duration.ZERO))));
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(500));

            start = System.nanoTime();
            CompletableFuture<NamedLockGrant> waiter = CompletableFuture.supplyAsync(
                    () -> acquire(COLLIDING_TOO, Duration.ofMillis(300)));
            NamedLockTimeoutException timeout = assertThrows(NamedLockTimeoutException.class, () -> unwrap(waiter));
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMillis >= 300 && waitedMillis < 2_000, "waited " + waitedMillis + " ms");
            assertEquals(COLLIDING_TOO, timeout.name());
            assertTrue(timeout.getMessage().contains("(slot " + held.slot() + ","), timeout.getMessage());
            assertTrue(timeout.getMessage().contains("another thread of this process"), timeout.getMessage());
            assertTrue(timeout.getMessage().contains("newest grant token " + held.token() + " to pid "
                                                     + ProcessHandle.current().pid()), timeout.getMessage());
            assertEquals(2, locks.statistics().timeouts());
            assertEquals(1, locks.statistics().heldNow());
        }
    }

    @Test
    void aGrantIsReleasedByWhoeverHoldsItOnceAndAWaiterGetsItThen() throws Exception {
        NamedLockGrant grant = locks.acquire("order-4711", Duration.ZERO);
        CountDownLatch waiting = new CountDownLatch(1);
        CompletableFuture<NamedLockGrant> waiter = CompletableFuture.supplyAsync(() -> {
            waiting.countDown();
            return acquire("order-4711", Duration.ofSeconds(10));
        });
        waiting.await();
        CompletableFuture.runAsync(grant::close).get(5, TimeUnit.SECONDS); // another thread releases
        grant.close(); // twice: harmless
        assertFalse(grant.isHeld());
        try (NamedLockGrant next = waiter.get(10, TimeUnit.SECONDS)) {
            assertEquals(grant.token() + 1, next.token());
        }
        NamedLockStatistics statistics = locks.statistics();
        assertEquals(2, statistics.grants());
        assertEquals(0, statistics.heldNow());
        assertTrue(statistics.maxWaitNanos() > 0 && statistics.totalHoldNanos() >= statistics.maxHoldNanos());
    }

    @Test
    void aHeldNameDoesNotBlockTheMemorysOwnLock() throws Exception {
        try (NamedLockGrant name = locks.acquire("order-4711", Duration.ZERO);
             CrossProcessLock memoryLock = CrossProcessLock.open(dir.resolve("m.db.lock"), LockFileSettings.defaults());
             LockGrant memory = memoryLock.acquire(Duration.ZERO)) {
            assertTrue(name.isHeld());
            memory.ensureValid();
        }
    }

    @Test
    void oneInstancePerFileAndItsHandleOutlivesACloseWhileAGrantIsHeld() throws Exception {
        NamedLocks second = NamedLocks.open(dir.resolve("m.db.names.lock"), LockFileSettings.defaults());
        assertSame(locks, second);
        NamedLockGrant grant = second.acquire("order-4711", Duration.ZERO);
        second.close();
        locks.close();
        assertTrue(grant.isHeld(), "closing the opens does not drop the record lock of a held grant");
        grant.close();
        locks = NamedLocks.open(dir.resolve("m.db.names.lock"), LockFileSettings.defaults());
        assertNotEquals(second, locks, "a new instance once the last one closed");
    }

    @Test
    void aGrantOnAReplacedFileIsNotHeldAndTheNextOpenLocksTheFileNowThere() throws Exception {
        Path file = dir.resolve("m.db.names.lock");
        NamedLockGrant onTheOldFile = locks.acquire("order-4711", Duration.ZERO);
        Files.move(file, dir.resolve("moved-away"));
        Files.createFile(file);
        assertFalse(onTheOldFile.isHeld(), "whoever opens the path now locks another file");
        try (NamedLocks reopened = NamedLocks.open(file, LockFileSettings.defaults());
             NamedLockGrant onTheNewFile = reopened.acquire("order-4711", Duration.ZERO)) {
            assertNotEquals(locks, reopened);
            assertTrue(onTheNewFile.isHeld());
        }
        onTheOldFile.close();
        Files.delete(file);
        try (NamedLockGrant afterDeletion = locks.acquire("order-4711", Duration.ZERO)) {
            assertFalse(afterDeletion.isHeld(), "a grant on a deleted file is no grant: nobody else looks at it");
        }
    }

    private NamedLockGrant acquire(String name, Duration timeout) {
        try {
            return locks.acquire(name, timeout);
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    private static NamedLockGrant unwrap(CompletableFuture<NamedLockGrant> future) throws Throwable {
        try {
            return future.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause();
        }
    }

    private static String message(org.junit.jupiter.api.function.Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }
}
