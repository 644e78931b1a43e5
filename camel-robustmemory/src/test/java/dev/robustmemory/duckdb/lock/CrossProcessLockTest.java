package dev.robustmemory.duckdb.lock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lock within one JVM: threads, timeouts, interrupts, the owner record and the lock file itself. */
class CrossProcessLockTest {

    private static final Duration SHORT = Duration.ofMillis(150);

    @TempDir
    Path dir;

    private CrossProcessLock lock(String name) throws LockException {
        return CrossProcessLock.open(dir.resolve(name), LockFileSettings.defaults());
    }

    @Test
    void zeroTimeoutOnAFreeLockSucceeds() throws Exception {
        try (LockGrant grant = lock("a.lock").acquire(Duration.ZERO)) {
            grant.ensureValid();
        }
    }

    @Test
    void oneInstancePerFileWhateverThePathSpelling() throws Exception {
        CrossProcessLock direct = lock("a.lock");
        Files.createDirectories(dir.resolve("sub"));
        Files.createSymbolicLink(dir.resolve("link.lock"), dir.resolve("a.lock"));
        assertSame(direct, CrossProcessLock.open(dir.resolve("sub/../a.lock"), LockFileSettings.defaults()));
        assertSame(direct, lock("link.lock"));
    }

    @Test
    void createsParentDirectoriesAndOwnerOnlyFile() throws Exception {
        Path file = dir.resolve("deep/er/x.lock");
        CrossProcessLock.open(file, LockFileSettings.defaults());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        Path shared = dir.resolve("group.lock");
        CrossProcessLock.open(shared, new LockFileSettings(PosixFilePermissions.fromString("rw-rw----"), false));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
    }

    @Test
    void reentrantAcquisitionFailsLoudlyAndKeepsTheOuterGrant() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        try (LockGrant outer = lock.acquire(SHORT)) {
            LockException e = assertThrows(LockException.class, () -> lock.acquire(SHORT));
            assertFalse(e instanceof LockTimeoutException, "must be reported as misuse, not as a timeout");
            assertTrue(e.getMessage().contains("Re-entrant"), e.getMessage());
            outer.ensureValid();
            assertEquals(OwnerRecord.State.HELD, lock.readOwnerRecord().record().state());
        }
    }

    @Test
    void threadsAreMutuallyExcludedAndNoUpdateIsLost() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        int threads = 8;
        int rounds = 500;
        long[] unguarded = {0};
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                for (int i = 0; i < rounds; i++) {
                    try (LockGrant ignored = lock.acquire(Duration.ofSeconds(30))) {
                        if (inside.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        unguarded[0]++;
                        inside.decrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(0, overlaps.get());
        assertEquals((long) threads * rounds, unguarded[0]);
    }

    @Test
    void waitingThreadsAreServedInArrivalOrder() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        List<Thread> waiters = new ArrayList<>();
        try (LockGrant ignored = lock.acquire(SHORT)) {
            for (int i = 0; i < 4; i++) {
                int id = i;
                Thread waiter = new Thread(() -> {
                    try (LockGrant g = lock.acquire(Duration.ofSeconds(30))) {
                        order.add(id);
                    } catch (Exception e) {
                        order.add(-1);
                    }
                });
                waiter.start();
                waiters.add(waiter);
                awaitParked(waiter); // queue them one by one so the arrival order is known
            }
        }
        for (Thread waiter : waiters) {
            waiter.join(10_000);
        }
        assertEquals(List.of(0, 1, 2, 3), order);
    }

    @Test
    void timeoutIsBoundedReportsTheHolderAndLeavesItsRecordAlone() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        AtomicReference<LockTimeoutException> failure = new AtomicReference<>();
        try (LockGrant held = lock.acquire(SHORT)) {
            held.publishFencingToken(7);
            byte[] recordBefore = Files.readAllBytes(lock.path());
            Thread contender = new Thread(() -> {
                long start = System.nanoTime();
                try {
                    lock.acquire(Duration.ofMillis(200)).close();
                } catch (LockTimeoutException e) {
                    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertTrue(elapsedMs >= 200 && elapsedMs < 200 + 500, "waited " + elapsedMs + " ms");
                    failure.set(e);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            contender.start();
            contender.join(5_000);
            assertArrayEquals(recordBefore, Files.readAllBytes(lock.path()));
            held.ensureValid();
        }
        LockTimeoutException e = failure.get();
        assertEquals(Duration.ofMillis(200), e.timeout());
        assertEquals(7, e.holder().record().fencingToken());
        assertTrue(e.getMessage().contains(lock.path().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("pid=" + ProcessHandle.current().pid())
                   || e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
    }

    @Test
    void anInterruptedWaiterGivesUpWithoutHurtingTheHolder() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        try (LockGrant held = lock.acquire(SHORT)) {
            Thread waiter = new Thread(() -> {
                try {
                    lock.acquire(Duration.ofSeconds(30)).close();
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            waiter.start();
            awaitWaiting(lock, 1);
            waiter.interrupt();
            waiter.join(5_000);
            assertInstanceOf(InterruptedException.class, outcome.get());
            held.ensureValid();
        }
        try (LockGrant again = lock.acquire(Duration.ZERO)) {
            again.ensureValid();
        }
    }

    @Test
    void anInterruptedHolderKeepsTheLockAndReleasesIt() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        try (LockGrant held = lock.acquire(SHORT)) {
            Thread.currentThread().interrupt(); // as Camel's shutdown or an executor would
            held.publishFencingToken(3);
            held.ensureValid();
        } finally {
            Thread.interrupted();
        }
        assertEquals(OwnerRecord.State.RELEASED, lock.readOwnerRecord().record().state());
        try (LockGrant next = lock.acquire(Duration.ZERO)) {
            next.ensureValid();
        }
    }

    @Test
    void ownerRecordDescribesTheHolderAndTheReleaseAndTheFileKeepsItsInode() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        Object inode = Files.readAttributes(lock.path(), BasicFileAttributes.class).fileKey();
        ProcessIdentity me = ProcessIdentity.current();
        try (LockGrant grant = lock.acquire(SHORT)) {
            grant.publishFencingToken(42);
            OwnerRecord held = lock.readOwnerRecord().record();
            assertEquals(OwnerRecord.State.HELD, held.state());
            assertEquals(me, held.holder());
            assertEquals(42, held.fencingToken());
            assertEquals(HolderStatus.ALIVE, me.judge(held.holder()));
        }
        OwnerRecord released = lock.readOwnerRecord().record();
        assertEquals(OwnerRecord.State.RELEASED, released.state());
        assertTrue(released.releasedAt() != null);
        assertEquals(inode, Files.readAttributes(lock.path(), BasicFileAttributes.class).fileKey());
        assertEquals(OwnerRecord.SLOT_SIZE, Files.size(lock.path()));
    }

    @Test
    void aCorruptOwnerRecordIsReportedAndTheLockStillWorks() throws Exception {
        Path file = dir.resolve("a.lock");
        Files.writeString(file, "pid=garbage\n\u0000\u0001 not a record", StandardCharsets.UTF_8);
        CrossProcessLock lock = lock("a.lock");
        assertTrue(lock.readOwnerRecord().isCorrupt());
        try (LockGrant grant = lock.acquire(SHORT)) {
            assertTrue(grant.previousRecord().isCorrupt());
            assertFalse(grant.previousHolderDied());
        }
        assertEquals(OwnerRecord.State.RELEASED, lock.readOwnerRecord().record().state());
    }

    @Test
    void readingAndInspectingAFreshLockFileLeaveItEmpty() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        assertEquals(OwnerRecordReading.absent(), lock.readOwnerRecord());
        assertEquals(java.util.Optional.empty(), lock.inspect(Duration.ofHours(1), false));
        assertEquals(0, Files.size(lock.path()), "only a holder may lengthen a lock file to a whole record");
    }

    @Test
    void aLockFileTruncatedBetweenGrantsGetsAWholeRecordAgain() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        lock.acquire(SHORT).close();
        Files.write(lock.path(), "#!".getBytes(StandardCharsets.UTF_8)); // another program, between two grants
        try (LockGrant grant = lock.acquire(SHORT)) {
            assertTrue(grant.previousRecord().isCorrupt());
            assertTrue(grant.previousRecord().corruptText().startsWith("#!"), grant.previousRecord().describe());
            assertEquals(OwnerRecord.State.HELD, lock.readOwnerRecord().record().state());
        }
        assertEquals(OwnerRecord.State.RELEASED, lock.readOwnerRecord().record().state());
        assertEquals(OwnerRecord.SLOT_SIZE, Files.size(lock.path()));
    }

    @Test
    void aLockFileEmptiedWhileHeldGetsTheHoldersWholeRecordAtItsNextWrite() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        try (LockGrant grant = lock.acquire(SHORT)) {
            // Another program empties the file (here this JVM, which also drops its record lock: not the point).
            Files.write(lock.path(), new byte[0]);
            grant.publishFencingToken(7);
            assertEquals(7, lock.readOwnerRecord().record().fencingToken());
            Files.write(lock.path(), new byte[0]);
        }
        assertEquals(OwnerRecord.State.RELEASED, lock.readOwnerRecord().record().state());
        assertEquals(OwnerRecord.SLOT_SIZE, Files.size(lock.path()));
    }

    @Test
    void aRecordLeftHeldByADeadHolderIsNoticedByTheNextHolder() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        ProcessIdentity dead = new ProcessIdentity(Long.MAX_VALUE - 1, null, ProcessIdentity.current().host(),
                ProcessIdentity.current().bootId());
        lock.writeSlot(new OwnerRecord(OwnerRecord.State.HELD, dead, java.time.Instant.now(), 9, null));
        assertEquals(HolderStatus.DEAD, ProcessIdentity.current().judge(dead));
        try (LockGrant grant = lock.acquire(SHORT)) {
            assertTrue(grant.previousHolderDied());
            assertEquals(9, grant.previousRecord().record().fencingToken());
        }
    }

    @Test
    void judgesForeignHostsPidReuseAndEarlierBoots() {
        ProcessIdentity me = ProcessIdentity.current();
        assertEquals(HolderStatus.FOREIGN_HOST,
                me.judge(new ProcessIdentity(me.pid(), me.processStart(), me.host() + "-other", me.bootId())));
        assertEquals(HolderStatus.DEAD, me.judge(new ProcessIdentity(me.pid(),
                me.processStart().minus(Duration.ofMinutes(5)), me.host(), me.bootId())));
        if (!me.bootId().isEmpty()) {
            assertEquals(HolderStatus.DEAD,
                    me.judge(new ProcessIdentity(me.pid(), me.processStart(), me.host(), "another-boot")));
        }
    }

    @Test
    void aDirectoryAsLockPathIsReportedAtOnceAsWhatItIs() throws Exception {
        Path directory = Files.createDirectories(dir.resolve("is-a-dir.lock"));
        LockException e = assertThrows(LockException.class,
                () -> CrossProcessLock.open(directory, LockFileSettings.defaults()));
        assertFalse(e instanceof LockTimeoutException);
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
    }

    @Test
    void aDeletedLockFileIsDetectedAsLostAndRecreatedForTheNextGrant() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        try (LockGrant grant = lock.acquire(SHORT)) {
            Files.delete(lock.path());
            LockLostException e = assertThrows(LockLostException.class, grant::ensureValid);
            assertTrue(e.getMessage().contains("deleted"), e.getMessage());
        }
        try (LockGrant next = lock.acquire(SHORT)) {
            next.ensureValid();
            assertTrue(Files.exists(lock.path()));
        }
    }

    @Test
    void aReleasedGrantIsNoLongerValidAndReleasingTwiceIsHarmless() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        LockGrant grant = lock.acquire(SHORT);
        grant.close();
        grant.close();
        assertThrows(LockLostException.class, grant::ensureValid);
        assertThrows(LockLostException.class, grant::othersWaiting, "only a holder may probe for waiters");
        CountDownLatch acquiredElsewhere = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            try (LockGrant g = lock.acquire(Duration.ZERO)) {
                acquiredElsewhere.countDown();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        other.start();
        assertTrue(acquiredElsewhere.await(5, TimeUnit.SECONDS));
    }

    @Test
    void negativeTimeoutIsRefused() throws Exception {
        CrossProcessLock lock = lock("a.lock");
        assertThrows(IllegalArgumentException.class, () -> lock.acquire(Duration.ofMillis(-1)));
    }

    private static void awaitParked(Thread thread) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.getState() != Thread.State.TIMED_WAITING) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(thread.getName() + " never parked at the lock; state " + thread.getState());
            }
            Thread.onSpinWait();
        }
    }

    private static void awaitWaiting(CrossProcessLock lock, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lock.waitingThreads() < expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + expected + " waiting threads, saw " + lock.waitingThreads());
            }
            Thread.onSpinWait();
        }
    }
}
