package dev.robustmemory.duckdb.lock;

import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One holding of a {@link CrossProcessLock}. Close it to release; closing twice is harmless. It may be closed from
 * another thread than the one that acquired it.
 */
public final class LockGrant implements AutoCloseable {

    private final CrossProcessLock lock;
    private final FileLock fileLock;
    private final long waitNanos;
    private final long acquiredAtNanos = System.nanoTime();
    private final byte[] previousSlot;
    private OwnerRecordReading previousRecord;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile OwnerRecord record;

    /** For a record already written to the lock file, in place of {@code previousSlot}. */
    LockGrant(CrossProcessLock lock, FileLock fileLock, long waitNanos, OwnerRecord record, byte[] previousSlot) {
        this.lock = lock;
        this.fileLock = fileLock;
        this.waitNanos = waitNanos;
        this.record = record;
        this.previousSlot = previousSlot;
    }

    public Path lockFile() {
        return lock.path();
    }

    /** How long the acquisition waited, on the monotonic clock. */
    public long waitNanos() {
        return waitNanos;
    }

    /** When the grant started, on the {@link System#nanoTime()} clock. */
    public long acquiredAtNanos() {
        return acquiredAtNanos;
    }

    /** This grant's owner record as written to the lock file. */
    public OwnerRecord record() {
        return record;
    }

    /** The record found in the lock file when this grant was obtained, before it was overwritten. */
    public synchronized OwnerRecordReading previousRecord() {
        if (previousRecord == null) {
            previousRecord = OwnerRecord.parse(previousSlot, previousSlot.length);
        }
        return previousRecord;
    }

    /**
     * True when the previous holder never released: its record still said {@link OwnerRecord.State#HELD} although
     * the kernel had freed its lock, so it died holding (or its lock was lost) and this grant took over.
     */
    public boolean previousHolderDied() {
        OwnerRecord previous = previousRecord().record();
        return previous != null && previous.state() == OwnerRecord.State.HELD;
    }

    /** Writes the fencing token that the protected storage issued for this grant into the owner record. */
    public void publishFencingToken(long token) throws LockException {
        record = record.withFencingToken(token);
        lock.writeHeldSlot(record);
    }

    /**
     * Whether anyone else wants the lock now: a thread of this JVM queued for it, or another process announcing
     * that it waits. Costs a system call or two; a holder that keeps the lock across several operations asks this
     * to know when to hand over.
     *
     * @throws LockLostException when the grant was released (or its record lock lost): only a holder may ask
     */
    public boolean othersWaiting() throws LockException {
        if (released.get()) {
            throw new LockLostException(lock.path(), "the grant was already released");
        }
        return lock.waitingThreads() > 0 || lock.anotherProcessWaits(fileLock);
    }

    /**
     * Fails when the lock is no longer held: call it before making anything durable.
     *
     * @throws LockLostException naming what happened (released, channel closed, file deleted or replaced)
     */
    public void ensureValid() throws LockLostException {
        if (released.get()) {
            throw new LockLostException(lock.path(), "the grant was already released");
        }
        lock.ensureValid(fileLock);
    }

    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            lock.release(this, fileLock);
        }
    }
}
