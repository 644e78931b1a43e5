package dev.robustmemory.duckdb.lock;

import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inspections of lock files made by real scenarios: killed holders, long holders, garbage, other hosts. */
class LockInspectionTest {

    private static final Duration CHILD_START = Duration.ofSeconds(30);
    private static final Duration AN_HOUR = Duration.ofHours(1);

    @TempDir
    Path dir;

    @Test
    void aHolderKilledWithSigkillIsReportedOrphanedOnceAndMarkedRecovered() throws Exception {
        CrossProcessLock lock = lockHeldByAKilledChild();
        LockEvent event = lock.inspect(AN_HOUR, true).orElseThrow();
        assertEquals(LockEvent.Type.ORPHANED, event.type());
        assertTrue(event.cleaned());
        assertEquals(OwnerRecord.State.RECOVERED, lock.readOwnerRecord().record().state());
        assertEquals(Optional.empty(), lock.inspect(AN_HOUR, true), "the same orphan must not be reported twice");
    }

    @Test
    void withoutCleanupAnOrphanIsReportedAndNoByteChanges() throws Exception {
        CrossProcessLock lock = lockHeldByAKilledChild();
        byte[] before = Files.readAllBytes(lock.path());
        LockEvent event = lock.inspect(AN_HOUR, false).orElseThrow();
        assertEquals(LockEvent.Type.ORPHANED, event.type());
        assertFalse(event.cleaned());
        assertArrayEquals(before, Files.readAllBytes(lock.path()));
    }

    @Test
    void aLiveHolderPastTheThresholdIsReportedStaleAndKeepsTheLock() throws Exception {
        Path lockFile = dir.resolve("m.lock");
        CrossProcessLock lock = CrossProcessLock.open(lockFile, LockFileSettings.defaults());
        try (ChildJvm child = LockChild.holding(lockFile, dir.resolve("tmp"))) {
            assertEquals(Optional.empty(), lock.inspect(AN_HOUR, true));
            byte[] before = Files.readAllBytes(lockFile);

            LockEvent event = lock.inspect(Duration.ofMillis(1), true).orElseThrow();
            assertEquals(LockEvent.Type.STALE, event.type());
            assertEquals(child.pid(), event.record().record().holder().pid());
            assertFalse(event.cleaned());
            assertArrayEquals(before, Files.readAllBytes(lockFile));
            assertThrows(LockTimeoutException.class, () -> lock.acquire(Duration.ZERO), "still held by the child");

            child.tell("release");
            child.awaitLine("RELEASED", CHILD_START);
        }
    }

    @Test
    void aGarbageRecordOnAFreeLockIsReportedCorruptAndRepaired() throws Exception {
        Path lockFile = dir.resolve("m.lock");
        Files.write(lockFile, "\u0007garbage that no holder wrote".getBytes());
        CrossProcessLock lock = CrossProcessLock.open(lockFile, LockFileSettings.defaults());

        byte[] before = Files.readAllBytes(lockFile);
        assertEquals(LockEvent.Type.CORRUPT, lock.inspect(AN_HOUR, false).orElseThrow().type());
        assertArrayEquals(before, Files.readAllBytes(lockFile), "cleanup disabled: nothing changes on disk");

        LockEvent repaired = lock.inspect(AN_HOUR, true).orElseThrow();
        assertEquals(LockEvent.Type.CORRUPT, repaired.type());
        assertTrue(repaired.cleaned());
        assertFalse(lock.readOwnerRecord().isCorrupt());
        try (LockGrant grant = lock.acquire(Duration.ZERO)) {
            grant.ensureValid();
        }
    }

    @Test
    void aRecordFromAnotherHostIsReportedAndLeftAlone() throws Exception {
        CrossProcessLock lock = CrossProcessLock.open(dir.resolve("m.lock"), LockFileSettings.defaults());
        ProcessIdentity me = ProcessIdentity.current();
        ProcessIdentity elsewhere = new ProcessIdentity(1, Instant.now(), me.host() + "-elsewhere", "other-boot");
        lock.writeSlot(new OwnerRecord(OwnerRecord.State.HELD, elsewhere, Instant.now(), 5, null));
        byte[] before = Files.readAllBytes(lock.path());

        LockEvent event = lock.inspect(AN_HOUR, true).orElseThrow();
        assertEquals(LockEvent.Type.FOREIGN_HOST, event.type());
        assertFalse(event.cleaned());
        assertArrayEquals(before, Files.readAllBytes(lock.path()));
    }

    private CrossProcessLock lockHeldByAKilledChild() throws Exception {
        Path lockFile = dir.resolve("m.lock");
        CrossProcessLock lock = CrossProcessLock.open(lockFile, LockFileSettings.defaults());
        try (ChildJvm child = LockChild.holding(lockFile, dir.resolve("tmp"))) {
            assertEquals(Optional.empty(), lock.inspect(AN_HOUR, true), "a live holder is no orphan");
            child.kill9();
        }
        return lock;
    }
}
