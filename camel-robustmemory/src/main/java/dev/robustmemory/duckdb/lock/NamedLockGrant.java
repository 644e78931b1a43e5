package dev.robustmemory.duckdb.lock;

import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.robustmemory.memory.NamedLockHold;

/**
 * One holding of a name from {@link NamedLocks}. Whoever has this object owns the grant: it may be closed from
 * another thread than the one that acquired it, and closing twice is harmless.
 */
public final class NamedLockGrant implements NamedLockHold {

    private final NamedLocks locks;
    private final String name;
    private final int slot;
    private final long token;
    private final FileLock slotLock;
    private final Instant acquiredAt;
    private final long acquiredAtNanos = System.nanoTime();
    private final long waitNanos;
    private final AtomicBoolean released = new AtomicBoolean();

    NamedLockGrant(NamedLocks locks, String name, int slot, long token, FileLock slotLock, Instant acquiredAt,
                   long waitNanos) {
        this.locks = locks;
        this.name = name;
        this.slot = slot;
        this.token = token;
        this.slotLock = slotLock;
        this.acquiredAt = acquiredAt;
        this.waitNanos = waitNanos;
    }

    @Override
    public String name() {
        return name;
    }

    /** The slot of the name ({@link NamedLocks#slotOf}); names of one slot exclude each other. */
    public int slot() {
        return slot;
    }

    /**
     * The fencing token: greater than every token granted before for this name, by any process, across crashes, and
     * durable before this grant was returned. Names sharing a slot share one sequence, so a name's tokens may skip.
     * A slot's first token, and the first after its record was found damaged, is the wall clock in microseconds
     * since the epoch; each later grant adds one.
     */
    @Override
    public long token() {
        return token;
    }

    /** When the grant was made, by the wall clock. */
    @Override
    public Instant acquiredAt() {
        return acquiredAt;
    }

    /** When the grant was made, on the {@link System#nanoTime()} clock. */
    @Override
    public long acquiredAtNanos() {
        return acquiredAtNanos;
    }

    /** How long the acquisition waited, in nanoseconds of the monotonic clock. */
    @Override
    public long waitNanos() {
        return waitNanos;
    }

    public Path locksFile() {
        return locks.path();
    }

    /**
     * Whether this grant is still held: not released, its record lock still valid, and the names file at the path still
     * the one it locked (a deleted or replaced file lets other processes lock the new one). One {@code stat} per call.
     */
    @Override
    public boolean isHeld() {
        return !released.get() && slotLock.isValid() && locks.isStillAtPath();
    }

    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            locks.release(this, slotLock);
        }
    }

    @Override
    public String toString() {
        return "NamedLockGrant[" + name + ", slot " + slot + ", token " + token + "]";
    }
}
