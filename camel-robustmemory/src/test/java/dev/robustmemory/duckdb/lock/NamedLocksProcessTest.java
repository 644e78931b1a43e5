package dev.robustmemory.duckdb.lock;

import dev.robustmemory.memory.NamedLockTimeoutException;
import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Named locks between real, separate JVMs: crashes (kill -9), tokens, timeouts, mutual exclusion, fairness. */
class NamedLocksProcessTest {

    private static final Duration CHILD_START = Duration.ofSeconds(30);
    private static final String NAME = "order-4711";

    @TempDir
    Path dir;
    private Path locksFile;
    private NamedLocks locks;

    @BeforeEach
    void open() throws Exception {
        locksFile = dir.resolve("m.db.names.lock");
        locks = NamedLocks.open(locksFile, LockFileSettings.defaults());
    }

    @AfterEach
    void close() {
        locks.close();
    }

    @Test
    void aHolderKilledWithSigkillFreesTheNameAtOnceAndTheNextTokenIsGreater() throws Exception {
        try (Holder holder = holding(NAME)) {
            ChildJvm child = holder.jvm();
            long childToken = holder.token();
            NamedLockTimeoutException busy = assertThrows(NamedLockTimeoutException.class,
                    () -> locks.acquire(NAME, Duration.ZERO));
            assertTrue(busy.getMessage().contains("another process (newest grant token " + childToken + " to pid "
                                                  + child.pid()), busy.getMessage());

            CompletableFuture<NamedLockGrant> waiter = CompletableFuture.supplyAsync(() -> acquire(NAME));
            awaitWaiting(1);
            long killed = System.nanoTime();
            child.kill9();
            try (NamedLockGrant grant = waiter.get(10, TimeUnit.SECONDS)) {
                double millis = (grant.acquiredAtNanos() - killed) / 1e6;
                System.out.printf("kill -9 of the holder to the next grant in another JVM: %.2f ms%n", millis);
                assertTrue(millis < 500, "entered at once, not after a lease: " + millis + " ms");
                assertTrue(grant.token() > childToken);
            }
        }
    }

    @Test
    void tokensStrictlyIncreaseAcrossKill9() throws Exception {
        List<Long> tokens = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            try (Holder holder = holding(NAME)) {
                tokens.add(holder.token());
                assertEquals(holder.token(), locks.newestToken(NAME), "read without the lock");
                holder.jvm().kill9();
            }
            try (NamedLockGrant grant = locks.acquire(NAME, Duration.ofSeconds(10))) {
                tokens.add(grant.token());
            }
        }
        for (int i = 1; i < tokens.size(); i++) {
            assertTrue(tokens.get(i) > tokens.get(i - 1), "tokens in grant order: " + tokens);
        }
    }

    @Test
    void aZeroTimeoutTriesOnceAndATimeoutIsHonouredAgainstAnotherProcess() throws Exception {
        try (Holder holder = holding(NAME)) {
            ChildJvm child = holder.jvm();
            long start = System.nanoTime();
            assertThrows(NamedLockTimeoutException.class, () -> locks.acquire(NAME, Duration.ZERO));
            long zeroMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(zeroMillis < 100, "tried once: " + zeroMillis + " ms");

            start = System.nanoTime();
            assertThrows(NamedLockTimeoutException.class, () -> locks.acquire(NAME, Duration.ofMillis(300)));
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMillis >= 300 && waitedMillis < 1_500, "waited " + waitedMillis + " ms");

            try (NamedLockGrant other = locks.acquire("order-4712", Duration.ZERO)) {
                assertTrue(other.isHeld(), "another name is free while the child holds " + NAME);
            }
            child.tell("release");
            child.awaitLine("RELEASED", CHILD_START);
            try (NamedLockGrant grant = locks.acquire(NAME, Duration.ZERO)) {
                assertTrue(grant.isHeld());
            }
            assertEquals(2, locks.statistics().timeouts());
        }
    }

    @Test
    void severalJvmsNeverHoldOneNameAtOnce() throws Exception {
        MutualExclusionChecker.Verdict verdict = runHistories("history", 3, 200, 200);
        assertTrue(verdict.valid(), verdict.anomaly().orElse(""));
        assertEquals(600, verdict.holds());
    }

    @Test
    void theCheckerCatchesABrokenLockThatExcludesOnlyTheThreadsOfOneJvm() throws Exception {
        MutualExclusionChecker.Verdict verdict = runHistories("broken-history", 3, 100, 500);
        assertFalse(verdict.valid(), "the broken variant must be caught");
        assertTrue(verdict.anomaly().get().startsWith("Two holders at once"), verdict.anomaly().get());
    }

    @Test
    void aWaiterIsNotStarvedByABusyOtherJvm() throws Exception {
        try (ChildJvm busy = ChildJvm.start(dir.resolve("tmp"), NamedLockChild.class, "busy", locksFile.toString(),
                NAME, "6000", "1000")) {
            busy.awaitLine("BUSY", CHILD_START);
            long[] waits = new long[20];
            for (int i = 0; i < waits.length; i++) {
                try (NamedLockGrant grant = locks.acquire(NAME, Duration.ofSeconds(2))) {
                    waits[i] = grant.waitNanos();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the work done under the lock
                }
                // Work without the lock, so that this JVM never takes the name again at once: only the child is busy.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            long busyGrants = Long.parseLong(busy.awaitLine("DONE ", Duration.ofSeconds(30)).substring(5));
            Arrays.sort(waits);
            System.out.printf("20 grants against a busy JVM (1 ms holds, %d grants in 6 s): wait p50 %.2f ms, max"
                              + " %.2f ms%n", busyGrants, waits[10] / 1e6, waits[19] / 1e6);
            assertTrue(waits[19] < TimeUnit.MILLISECONDS.toNanos(250), "max wait " + waits[19] / 1e6 + " ms");
            assertTrue(busyGrants > 100, "the busy JVM kept working: " + busyGrants);
        }
    }

    @Test
    void anInterruptedWaiterHoldsNothingAndDropsNoOtherGrantOfThisJvm() throws Exception {
        try (NamedLockGrant held = locks.acquire(NAME, Duration.ZERO);
             NamedLockGrant blocking = locks.acquire("order-92", Duration.ZERO)) {
            Thread waiter = Thread.currentThread();
            CompletableFuture<Void> interrupter = CompletableFuture.runAsync(() -> {
                awaitWaiting(1);
                waiter.interrupt();
            });
            assertThrows(InterruptedException.class, () -> locks.acquire("order-260", Duration.ofSeconds(10)),
                    "order-260 shares the slot of order-92");
            interrupter.get(10, TimeUnit.SECONDS);
            assertEquals("BUSY", probe(NAME), "the other grant's record lock survived the interrupt");
            assertEquals("BUSY", probe("order-260"));
            assertEquals(2, locks.statistics().heldNow());
        }
        assertEquals("FREE", probe(NAME));
    }

    private String probe(String name) throws Exception {
        try (ChildJvm child = ChildJvm.start(dir.resolve("tmp"), NamedLockChild.class, "probe", locksFile.toString(),
                name)) {
            return child.awaitLine("PROBE ", CHILD_START).substring("PROBE ".length());
        }
    }

    private MutualExclusionChecker.Verdict runHistories(String mode, int processes, int iterations, int holdMicros)
            throws Exception {
        List<ChildJvm> children = new ArrayList<>();
        List<Path> histories = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                Path history = dir.resolve("history-" + i);
                histories.add(history);
                children.add(ChildJvm.start(dir.resolve("tmp"), NamedLockChild.class, mode, locksFile.toString(),
                        NAME, Integer.toString(iterations), Integer.toString(holdMicros), history.toString()));
            }
            for (ChildJvm child : children) {
                child.awaitLine("READY", CHILD_START);
            }
            for (ChildJvm child : children) {
                child.tell("go");
            }
            List<LockHistory.Event> events = new ArrayList<>();
            for (int i = 0; i < processes; i++) {
                children.get(i).awaitLine("DONE", Duration.ofSeconds(120));
                events.addAll(LockHistory.read(histories.get(i), children.get(i).pid()));
            }
            return MutualExclusionChecker.check(events);
        } finally {
            for (ChildJvm child : children) {
                child.close();
            }
        }
    }

    /** A child JVM holding a name, and the token it got. */
    private record Holder(ChildJvm jvm, long token) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            jvm.close();
        }
    }

    private Holder holding(String name) throws Exception {
        ChildJvm child = ChildJvm.start(dir.resolve("tmp"), NamedLockChild.class, "hold", locksFile.toString(), name);
        try {
            return new Holder(child, Long.parseLong(child.awaitLine("HELD ", CHILD_START).substring("HELD ".length())));
        } catch (AssertionError | InterruptedException e) {
            child.close();
            throw e;
        }
    }

    private void awaitWaiting(int threads) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (locks.statistics().waitingNow() < threads) {
            assertTrue(System.nanoTime() < deadline, "the waiter did not start waiting");
            Thread.onSpinWait();
        }
    }

    private NamedLockGrant acquire(String name) {
        try {
            return locks.acquire(name, Duration.ofSeconds(10));
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }
}
