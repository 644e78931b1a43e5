package dev.robustmemory.postgresql;

import dev.robustmemory.memory.NamedLockHold;

import java.time.Instant;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One holding of a name from {@link PostgresNamedLocks}: a lease row's grant, renewed in the background until
 * released or lost. Whoever has this object owns the grant: it may be closed from another thread than the one that
 * acquired it, and closing twice is harmless.
 */
public final class PostgresNamedLockGrant implements NamedLockHold {

    private final PostgresNamedLocks locks;
    private final String name;
    private final long token;
    private final Instant acquiredAt;
    private final long acquiredAtNanos;
    private final long waitNanos;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once, when the grant is released or lost, whichever comes first. */
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile long heldUntilNanos;
    private volatile Instant leaseEnd;
    private volatile String lossReason;
    volatile Future<?> renewal;
    volatile String lastRenewalFailure = "none";

    PostgresNamedLockGrant(PostgresNamedLocks locks, String name, long token, Instant acquiredAt, long acquiredAtNanos,
                           long waitNanos, long heldUntilNanos, Instant leaseEnd) {
        this.locks = locks;
        this.name = name;
        this.token = token;
        this.acquiredAt = acquiredAt;
        this.acquiredAtNanos = acquiredAtNanos;
        this.waitNanos = waitNanos;
        this.heldUntilNanos = heldUntilNanos;
        this.leaseEnd = leaseEnd;
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * The fencing token: the name's row's token, one more than the grant before, by any holder on any host; the
     * first grant of a name has token 1. Committed before this grant was returned, and rows are never deleted, so
     * tokens only grow, across crashes and restarts of the server.
     */
    @Override
    public long token() {
        return token;
    }

    /** When the grant was made, by the database server's clock. */
    @Override
    public Instant acquiredAt() {
        return acquiredAt;
    }

    @Override
    public long acquiredAtNanos() {
        return acquiredAtNanos;
    }

    @Override
    public long waitNanos() {
        return waitNanos;
    }

    /**
     * The end of the lease by the server's clock, as of the last successful renewal (or the grant): for display; this
     * JVM's own judgement is {@link #heldUntilNanos()}.
     */
    public Instant leaseEnd() {
        return leaseEnd;
    }

    /**
     * Until when, on {@link System#nanoTime()}, this JVM is sure of the grant: the start of the last successful
     * renewal (or of the granting attempt) plus the lease, never later than the server's end of that lease.
     */
    public long heldUntilNanos() {
        return heldUntilNanos;
    }

    /**
     * Whether this grant is still held, as far as this JVM can be sure now: not released, not found lost by a
     * renewal, and less than a lease past the start of the last successful renewal. Once false, false for good. A
     * holder paused past its lease sees false only after it resumes, and may have acted in between: fence its writes.
     */
    @Override
    public boolean isHeld() {
        if (ended.get()) {
            return false;
        }
        if (System.nanoTime() - heldUntilNanos >= 0) {
            lose("no renewal succeeded within its lease by this JVM's monotonic clock (last renewal failure: "
                 + lastRenewalFailure + ")");
            return false;
        }
        return !ended.get();
    }

    /** Why the grant was lost, or null while it is held or when it was released before. */
    public String lossReason() {
        return lossReason;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Future<?> scheduled = renewal;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
            if (ended.compareAndSet(false, true)) {
                locks.ended(this, false);
            }
            try {
                locks.release(this);
            } finally {
                locks.dropUser();
            }
        }
    }

    @Override
    public String toString() {
        return "PostgresNamedLockGrant[" + name + ", token " + token + (ended.get() ? (lossReason != null
                ? ", lost: " + lossReason : ", released") : ", lease to " + leaseEnd) + "]";
    }

    boolean isEnded() {
        return ended.get();
    }

    /** After a successful renewal: a lost grant stays lost. */
    void renewed(long heldUntil, Instant serverLeaseEnd) {
        if (!ended.get()) {
            heldUntilNanos = heldUntil;
            leaseEnd = serverLeaseEnd;
        }
    }

    void lose(String reason) {
        if (ended.compareAndSet(false, true)) {
            lossReason = reason;
            Future<?> scheduled = renewal;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
            locks.ended(this, true);
        }
    }
}
