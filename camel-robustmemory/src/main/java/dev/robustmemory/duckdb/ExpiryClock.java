package dev.robustmemory.duckdb;

import java.time.Clock;
import java.time.Duration;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.SessionRules;

/**
 * The time by which a batch decides what has expired: one instant for the whole batch, taken when it starts, so that
 * its works agree with each other.
 *
 * <p><b>One clock for all processes.</b> It is the host's wall clock (the {@link Clock} the memory was opened with,
 * the system's UTC clock unless a test gives its own), which every process of one host reads alike, made monotonic
 * across them by the journal's clock mark: each batch that decided anything by the time raises the mark to its time
 * before its callers are answered, and no batch of any process goes by an earlier time than the mark it read. So a
 * wall clock stepped back does not bring expired entries back: time stands at the mark until the wall clock catches
 * up. A clock stepped forward makes entries expire early, as it would for any wall-clock TTL.
 *
 * <p><b>Reads without the lock.</b> A read answered while another process may hold the lock takes effect at the
 * moment it read the journal, so it must agree with every batch that may run before it is taken into account: it
 * goes by its own time, but an entry that expired after the mark it read (between that process's decision and now)
 * makes it need the lock ({@link #takeNeededLock()}), where its time is raised into the mark for everyone.
 *
 * <p>Used by the lease thread only.
 */
final class ExpiryClock {

    private final Clock wall;
    /** The latest time any process decided by, as the journal told this JVM. */
    private long mark;
    private long now;
    private boolean consulted;
    private boolean withoutLock;
    private boolean neededLock;

    ExpiryClock(Clock wall) {
        this.wall = wall;
    }

    /** Starts a batch: under the lock with the journal's mark, or without it with the mark it read. */
    void beginBatch(long journalMark, boolean withoutLock) {
        mark = Math.max(mark, journalMark);
        now = Math.max(SessionRules.micros(wall.instant()), mark);
        this.withoutLock = withoutLock;
        consulted = false;
        neededLock = false;
    }

    /** The batch's time; the batch then depends on it, and its time must be published as the mark. */
    long now() {
        consulted = true;
        return now;
    }

    /** The expiry time of an entry written now to live for {@code timeToLive}: {@link SessionRules#expiryAfter}. */
    long expiryAfter(Duration timeToLive) {
        return timeToLive == null ? 0 : SessionRules.expiryAfter(now(), timeToLive);
    }

    /** Whether an entry is visible at the batch's time; an entry that never expires is, without asking the time. */
    boolean isLive(MemoryEntry entry) {
        return isLive(entry.expiresAtMicros());
    }

    /** As {@link #isLive(MemoryEntry)}, for an entry that expires at {@code expiresAtMicros} (0: never). */
    boolean isLive(long expiresAtMicros) {
        if (expiresAtMicros == 0) {
            return true;
        }
        boolean live = expiresAtMicros > now();
        if (!live && withoutLock && expiresAtMicros > mark) {
            neededLock = true;
        }
        return live;
    }

    /** Whether the batch depended on its time: then it must be raised into the journal's mark. */
    boolean consulted() {
        return consulted;
    }

    /** Whether a work without the lock met an entry it cannot judge without it, since this was last asked. */
    boolean takeNeededLock() {
        boolean needed = neededLock;
        neededLock = false;
        return needed;
    }
}
