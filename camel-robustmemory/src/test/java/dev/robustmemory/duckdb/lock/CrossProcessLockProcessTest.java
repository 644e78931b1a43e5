package dev.robustmemory.duckdb.lock;

import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The lock between real, separate JVMs: exclusion, crashes (kill -9), SIGTERM and timeouts. */
class CrossProcessLockProcessTest {

    private static final Duration CHILD_START = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void aHolderKilledWithSigkillNeverBlocksTheNextHolder() throws Exception {
        Path lockFile = dir.resolve("m.lock");
        CrossProcessLock lock = CrossProcessLock.open(lockFile, LockFileSettings.defaults());
        try (ChildJvm child = LockChild.holding(lockFile, dir.resolve("tmp"))) {

            LockTimeoutException timeout = assertThrows(LockTimeoutException.class,
                    () -> lock.acquire(Duration.ofMillis(100)));
            OwnerRecord holder = timeout.holder().record();
            assertEquals(child.pid(), holder.holder().pid());
            assertEquals(OwnerRecord.State.HELD, holder.state());
            assertEquals(HolderStatus.ALIVE, ProcessIdentity.current().judge(holder.holder()));
            assertTrue(timeout.getMessage().contains("another process"), timeout.getMessage());

            child.kill9();
            assertEquals(HolderStatus.DEAD, ProcessIdentity.current().judge(holder.holder()));
            long start = System.nanoTime();
            try (LockGrant grant = lock.acquire(Duration.ofSeconds(5))) {
                assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1_000);
                assertTrue(grant.previousHolderDied());
                assertEquals(child.pid(), grant.previousRecord().record().holder().pid());
                assertEquals(child.pid(), grant.previousRecord().record().fencingToken());
            }
        }
    }

    @Test
    void zeroTimeoutAgainstAnotherProcessFailsAtOnceAndReleaseHandsOver() throws Exception {
        Path lockFile = dir.resolve("m.lock");
        CrossProcessLock lock = CrossProcessLock.open(lockFile, LockFileSettings.defaults());
        try (ChildJvm child = LockChild.holding(lockFile, dir.resolve("tmp"))) {
            long start = System.nanoTime();
            assertThrows(LockTimeoutException.class, () -> lock.acquire(Duration.ZERO));
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 500, "tried once, did not wait");

            child.tell("release");
            child.awaitLine("RELEASED", CHILD_START);
            try (LockGrant grant = lock.acquire(Duration.ofSeconds(5))) {
                assertEquals(OwnerRecord.State.RELEASED, grant.previousRecord().record().state());
                assertTrue(!grant.previousHolderDied());
            }
            assertEquals(0, child.awaitExit(CHILD_START));
        }
    }

    @Test
    void aHolderSeesAnotherProcessWaitingAndNobodyOnceItGotTheLock() throws Exception {
        Path lockFile = dir.resolve("m.lock");
        CrossProcessLock lock = CrossProcessLock.open(lockFile, LockFileSettings.defaults());
        try (LockGrant held = lock.acquire(Duration.ZERO)) {
            assertTrue(!held.othersWaiting(), "nobody waits yet");
            try (ChildJvm child = ChildJvm.start(dir.resolve("tmp"), LockChild.class, "hold", lockFile.toString())) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!held.othersWaiting()) {
                    assertTrue(System.nanoTime() < deadline, "the waiting child never announced itself");
                    Thread.onSpinWait();
                }
                held.close();
                child.awaitLine("HELD", CHILD_START);
                try (LockGrant again = lock.acquire(Duration.ofMillis(200))) {
                    fail("the child still holds the lock: " + again);
                } catch (LockTimeoutException expected) {
                    // while the child holds, this process waits; it announced itself meanwhile
                }
                child.tell("release");
                child.awaitLine("RELEASED", CHILD_START);
            }
        }
    }

    @Test
    void aHolderStoppedWithSigtermExitsAndFreesTheLock() throws Exception {
        Path lockFile = dir.resolve("m.lock");
        CrossProcessLock lock = CrossProcessLock.open(lockFile, LockFileSettings.defaults());
        try (ChildJvm child = LockChild.holding(lockFile, dir.resolve("tmp"))) {
            assertTrue(child.terminate(Duration.ofSeconds(10)), "SIGTERM must stop a process holding the lock");
            try (LockGrant grant = lock.acquire(Duration.ofSeconds(5))) {
                grant.ensureValid();
            }
        }
    }

    @Test
    void separateJvmsNeverOverlapAndLoseNoUpdate() throws Exception {
        Path lockFile = dir.resolve("m.lock");
        int jvms = 4;
        int iterations = 300;
        List<ChildJvm> children = new ArrayList<>();
        try {
            for (int i = 0; i < jvms; i++) {
                children.add(ChildJvm.start(dir.resolve("tmp"), LockChild.class, "stress", lockFile.toString(),
                        dir.toString(), Integer.toString(iterations)));
            }
            for (ChildJvm child : children) {
                child.awaitLine("READY", CHILD_START);
            }
            for (ChildJvm child : children) {
                child.tell("go");
            }
            for (ChildJvm child : children) {
                assertEquals("DONE violations=0", child.awaitLine("DONE", Duration.ofSeconds(120)));
            }
        } finally {
            for (ChildJvm child : children) {
                child.close();
            }
        }
        assertEquals(Long.toString((long) jvms * iterations), Files.readString(dir.resolve("counter")));
    }
}
