package dev.robustmemory.camel;

import java.io.IOException;
import java.time.Duration;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.memory.MemoryWork;
import org.apache.camel.RuntimeCamelException;

/**
 * The memory a repository bean (idempotent, aggregation, state) works on: opened from options that are parsed and
 * validated exactly as the endpoint options of the same names, and each call one {@link DuckDbMemory#execute} under
 * the lock timeout, its checked failures turned into the {@link RuntimeCamelException} Camel's repository contracts
 * allow. Opening takes no lock and opens no database (see {@link DuckDbMemory#open}).
 */
final class RepositoryMemory {

    /** What the repository is, for errors: {@code idempotent repository}. */
    private final String kind;
    /** The repository in errors once open: {@code idempotent repository 'orders'}. */
    private volatile String subject;
    private volatile DuckDbMemory store;
    private volatile Duration lockTimeout;

    RepositoryMemory(String kind) {
        this.kind = kind;
        this.subject = kind;
    }

    /**
     * @param  nameOption               the bean property that names the repository, for errors
     * @param  name                     the repository's name: the segment of its keys after the namespace
     * @throws IllegalArgumentException for an empty name or one with '/', or a malformed option (lockTimeout,
     *                                  database, filePermissions, ...)
     * @throws Exception                when the paths cannot be used (see {@link DuckDbMemory#open})
     */
    void open(String nameOption, String name, RobustMemoryConfiguration options) throws Exception {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("The " + kind + "'s " + nameOption + " must be non-empty text without"
                                               + " '/', not '" + name + "'");
        }
        options.validate();
        subject = kind + " '" + name + "'";
        lockTimeout = options.lockTimeoutDuration();
        store = DuckDbMemory.open(options.storeSettings());
    }

    void close() {
        DuckDbMemory current = store;
        store = null;
        if (current != null) {
            current.close();
        }
    }

    /** The open store. @throws IllegalStateException when the repository is not started */
    DuckDbMemory store() {
        DuckDbMemory current = store;
        if (current == null) {
            throw new IllegalStateException("The " + subject + " is not started");
        }
        return current;
    }

    /**
     * Runs the work under the lock timeout.
     *
     * @param  action              what the work does, for errors: "add id 'x'"
     * @throws RuntimeCamelException when the lock was not granted in time, the store failed or the thread was
     *                               interrupted (its interrupt flag is set again); the cause says which
     */
    <T> T execute(String action, MemoryWork<T> work) {
        DuckDbMemory current = store();
        try {
            return current.execute(lockTimeout, work).result();
        } catch (IOException e) {
            throw new RuntimeCamelException(capitalized(subject) + " could not " + action + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeCamelException("Interrupted while the " + subject + " waited to " + action, e);
        }
    }

    private static String capitalized(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
