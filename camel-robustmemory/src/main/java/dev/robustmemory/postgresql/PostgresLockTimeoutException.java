package dev.robustmemory.postgresql;

import dev.robustmemory.memory.StoreException;

import java.time.Duration;

/** Another work held the memory's token row for the whole lock timeout; this work did not run. */
public class PostgresLockTimeoutException extends StoreException {

    private final Duration timeout;

    public PostgresLockTimeoutException(String table, Duration timeout, Throwable cause) {
        super("Timed out after " + timeout.toMillis() + " ms waiting for the memory's token row in " + table
              + " (another work held it); nothing was written", cause);
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }
}
