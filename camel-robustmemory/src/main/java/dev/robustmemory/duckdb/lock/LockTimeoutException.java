package dev.robustmemory.duckdb.lock;

import java.nio.file.Path;
import java.time.Duration;

/** The lock stayed held by someone else for the whole timeout. Carries who held it when we gave up. */
public class LockTimeoutException extends LockException {

    private final Duration timeout;
    private final OwnerRecordReading holder;

    public LockTimeoutException(Path lockFile, Duration timeout, String heldBy, OwnerRecordReading holder) {
        super(lockFile, "Timed out after " + timeout.toMillis() + " ms waiting for the lock, held by " + heldBy
                        + "; owner record: " + holder.describe());
        this.timeout = timeout;
        this.holder = holder;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The owner record as read when the wait gave up (it may be absent or corrupt). */
    public OwnerRecordReading holder() {
        return holder;
    }
}
