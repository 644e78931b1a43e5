package dev.robustmemory.duckdb.lock;

import dev.robustmemory.testing.OpenFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The lock's file handles: closed once nothing in this JVM uses the lock file any more, and never while this JVM
 * holds the lock through them (closing any handle of a file drops the process's record locks on it).
 */
class CrossProcessLockHandlesTest {

    @TempDir
    Path dir;

    @BeforeEach
    void needsDescriptorCounts() {
        assumeTrue(OpenFiles.countable(), "needs /proc/self/fd");
    }

    @Test
    void locksOpenedUsedAndClosedManyTimesLeaveNoHandleOpen() throws Exception {
        CrossProcessLock first = null;
        for (int i = 0; i < 200; i++) {
            try (CrossProcessLock lock = CrossProcessLock.open(dir.resolve("n" + (i % 20) + ".lock"),
                    LockFileSettings.defaults())) {
                first = first == null ? lock : first;
                lock.acquire(Duration.ZERO).close();
                lock.inspect(Duration.ofHours(1), true);
            }
        }
        assertEquals(0, OpenFiles.under(dir));
        try (CrossProcessLock again = CrossProcessLock.open(dir.resolve("n0.lock"), LockFileSettings.defaults())) {
            assertNotSame(first, again, "a closed instance is gone; the next open makes a new one");
        }
    }

    @Test
    void theHandleStaysWhileAnOpenOrAGrantRemainsAndTheLockStaysHeldMeanwhile() throws Exception {
        Path file = dir.resolve("x.lock");
        CrossProcessLock opened = CrossProcessLock.open(file, LockFileSettings.defaults());
        CrossProcessLock openedAgain = CrossProcessLock.open(file, LockFileSettings.defaults());
        assertSame(opened, openedAgain);
        opened.close();

        LockGrant grant = openedAgain.acquire(Duration.ZERO);
        openedAgain.close(); // the grant still needs the handle: its record lock lives there
        assertTrue(LockChild.probe(file, dir.resolve("tmp")).startsWith("BUSY"), "still held after the close");
        assertEquals(1, OpenFiles.under(dir));
        grant.ensureValid();

        grant.close();
        assertEquals(0, OpenFiles.under(dir));
        assertEquals("FREE", LockChild.probe(file, dir.resolve("tmp")));
        assertThrows(IllegalStateException.class, () -> openedAgain.acquire(Duration.ZERO), "closed for good");
        assertThrows(IllegalStateException.class, openedAgain::close, "closed more often than opened");
    }

    @Test
    void aSecondPathToAnOpenLockFileIsRefusedRatherThanGivenASecondHandle() throws Exception {
        Path file = dir.resolve("x.lock");
        Path hardLink = dir.resolve("alias.lock");
        try (CrossProcessLock lock = CrossProcessLock.open(file, LockFileSettings.defaults());
             LockGrant grant = lock.acquire(Duration.ZERO)) {
            Files.createLink(hardLink, lock.path());

            LockException e = assertThrows(LockException.class,
                    () -> CrossProcessLock.open(hardLink, LockFileSettings.defaults()));
            assertTrue(e.getMessage().contains("same file as the lock file " + lock.path()), e.getMessage());
            assertTrue(LockChild.probe(file, dir.resolve("tmp")).startsWith("BUSY"));
            grant.ensureValid();
        }
        CrossProcessLock.open(hardLink, LockFileSettings.defaults()).close(); // once the first path is closed
    }
}
