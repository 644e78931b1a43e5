package dev.robustmemory.duckdb.lock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A torn or damaged token record never makes a token go backwards: the file is damaged here by hand, between grants
 * (never while one is held: closing the damaging handle would drop this JVM's record locks on the file).
 */
class NamedLockTokenTest {

    private static final String NAME = "order-4711";
    private static final int SLOT = NamedLocks.slotOf(NAME);

    @TempDir
    Path dir;
    private Path file;
    private NamedLocks locks;

    @BeforeEach
    void open() throws Exception {
        file = dir.resolve("m.db.names.lock");
        locks = NamedLocks.open(file, LockFileSettings.defaults());
    }

    @AfterEach
    void close() {
        locks.close();
    }

    @Test
    void aNeverWrittenSlotIsEmptyAndStartsAtTheWallClock() {
        NamedLockSlot fresh = NamedLockSlot.parse(SLOT, new byte[NamedLockSlot.SIZE]);
        assertTrue(fresh.empty() && fresh.doubtful());
        assertEquals(0, fresh.newestToken());
        assertEquals(1_000_000, fresh.nextToken(1_000_000));
    }

    @Test
    void aTornNewestCopyMakesTheNextTokenJumpAheadNotRepeat() throws Exception {
        long before = grantAndRelease();
        long newest = grantAndRelease();
        assertEquals(before + 1, newest);
        damage(copyOffset(newest), 12); // as a crash mid-write, or rot after the grant: which, nobody can tell

        assertTrue(locks.newestToken(NAME) >= newest, "the unlocked read errs high, never low");
        long next = grantAndRelease();
        assertTrue(next > newest, next + " after " + newest);
        assertTrue(next >= microsNow() - 60_000_000L, "jumped to the wall clock: " + next);
        assertEquals(next + 1, grantAndRelease(), "both copies were rewritten: no doubt left, no further jump");
    }

    @Test
    void bothCopiesDamagedStillGiveAGreaterToken() throws Exception {
        grantAndRelease();
        long newest = grantAndRelease();
        damage((long) SLOT * NamedLockSlot.SIZE, NamedLockSlot.SIZE);
        assertTrue(locks.newestToken(NAME) > newest);
        assertTrue(grantAndRelease() > newest);
    }

    @Test
    void aDamagedOlderCopyAloneAlsoCountsAsDoubt() throws Exception {
        grantAndRelease();
        long newest = grantAndRelease();
        damage(copyOffset(newest - 1), 4);
        long next = grantAndRelease();
        assertTrue(next > newest);
    }

    @Test
    void aTruncatedFileRestartsAboveEveryEarlierToken() throws Exception {
        long newest = grantAndRelease();
        try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
            raw.setLength(0);
        }
        assertEquals(0, locks.newestToken(NAME), "no record: nothing to fence with until the next grant");
        assertTrue(grantAndRelease() > newest);
    }

    @Test
    void otherSlotsAreNotTouched() throws Exception {
        grantAndRelease();
        long other;
        try (NamedLockGrant grant = locks.acquire("order-4712", Duration.ZERO)) {
            other = grant.token();
        }
        damage((long) SLOT * NamedLockSlot.SIZE, NamedLockSlot.SIZE);
        assertEquals(other, locks.newestToken("order-4712"));
        assertFalse(NamedLocks.slotOf("order-4712") == SLOT);
    }

    private long grantAndRelease() throws Exception {
        try (NamedLockGrant grant = locks.acquire(NAME, Duration.ZERO)) {
            return grant.token();
        }
    }

    private static long copyOffset(long token) {
        return (long) SLOT * NamedLockSlot.SIZE + (token & 1) * NamedLockSlot.SIZE / 2;
    }

    private void damage(long offset, int length) throws Exception {
        try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
            raw.seek(offset);
            byte[] bytes = new byte[length];
            raw.readFully(bytes);
            for (int i = 0; i < length; i++) {
                bytes[i] ^= (byte) 0x5a;
            }
            raw.seek(offset);
            raw.write(bytes);
        }
    }

    private static long microsNow() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }
}
