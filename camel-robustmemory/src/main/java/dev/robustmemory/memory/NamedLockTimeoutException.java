package dev.robustmemory.memory;

import java.io.IOException;
import java.time.Duration;

/** A named lock stayed held by another holder (thread, process or host) for the whole timeout. */
public class NamedLockTimeoutException extends IOException {

    private final String name;
    private final Duration timeout;

    /**
     * @param where  the backend's place of the name, for the message: the names lock file, the locks table
     * @param heldBy who held it, as far as the backend knows: its newest grant's token, holder and time
     */
    public NamedLockTimeoutException(String where, String name, Duration timeout, String heldBy) {
        super("Timed out after " + timeout.toMillis() + " ms waiting for the named lock '" + name + "' of " + where
              + ", held by " + heldBy);
        this.name = name;
        this.timeout = timeout;
    }

    public String name() {
        return name;
    }

    public Duration timeout() {
        return timeout;
    }
}
