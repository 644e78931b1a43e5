package dev.robustmemory.lock;

import java.nio.file.Path;
import java.time.Duration;

/** A name's slot stayed held by another thread or process for the whole timeout. */
public class NamedLockTimeoutException extends LockException {

    private final String name;
    private final int slot;
    private final Duration timeout;

    public NamedLockTimeoutException(Path locksFile, String name, int slot, Duration timeout, String heldBy) {
        super(locksFile, "Timed out after " + timeout.toMillis() + " ms waiting for the named lock '" + name
                         + "' (slot " + slot + ", shared by every name that maps to it), held by " + heldBy);
        this.name = name;
        this.slot = slot;
        this.timeout = timeout;
    }

    public String name() {
        return name;
    }

    public int slot() {
        return slot;
    }

    public Duration timeout() {
        return timeout;
    }
}
