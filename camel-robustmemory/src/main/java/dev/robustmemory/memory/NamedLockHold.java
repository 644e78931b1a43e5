package dev.robustmemory.memory;

import java.time.Instant;

/**
 * One holding of a name from a {@link NamedLockService}. Whoever has this object owns the grant: it may be closed
 * from another thread than the one that acquired it, and closing twice is harmless.
 */
public interface NamedLockHold extends AutoCloseable {

    String name();

    /**
     * The fencing token: greater than every token granted before for this name, by any holder, across crashes, and
     * durable before this grant was returned. A write fenced with it ({@link MemorySession#requireNewestGrant}) is
     * refused once a newer grant of the name exists.
     */
    long token();

    /** When the grant was made, by the wall clock (on PostgreSQL: the server's). */
    Instant acquiredAt();

    /** When the grant was made, on this JVM's {@link System#nanoTime()} clock. */
    long acquiredAtNanos();

    /** How long the acquisition waited, in nanoseconds of the monotonic clock. */
    long waitNanos();

    /** Whether this grant is still held, as far as this JVM can tell now (not released, not lost, not expired). */
    boolean isHeld();

    /** Releases the name. */
    @Override
    void close();
}
