package dev.robustmemory.camel;

import java.io.IOException;
import java.time.Duration;

import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.MemoryWork;
import org.apache.camel.CamelContext;
import org.apache.camel.RuntimeCamelException;

/**
 * The memory a repository bean (idempotent, aggregation, state) works on: opened from options that are parsed and
 * validated exactly as the endpoint options of the same names, and each call one {@link Memory#execute} under the
 * lock timeout, its checked failures turned into the {@link RuntimeCamelException} Camel's repository contracts
 * allow. Opening takes no lock and reaches no database.
 */
final class RepositoryMemory {

    /** What the repository is, for errors: {@code idempotent repository}. */
    private final String kind;
    /** The repository in errors once open: {@code idempotent repository 'orders'}. */
    private volatile String subject;
    private volatile Memory store;
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
     * @param  context                 where a PostgreSQL data source is autowired from; may be null
     * @throws Exception                when the paths cannot be used (see {@code DuckDbMemory#open})
     */
    void open(String nameOption, String name, RobustMemoryConfiguration options, CamelContext context)
            throws Exception {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("The " + kind + "'s " + nameOption + " must be non-empty text without"
                                               + " '/', not '" + name + "'");
        }
        options.validate();
        subject = kind + " '" + name + "'";
        lockTimeout = options.lockTimeoutDuration();
        store = options.memoryLocation(context).open();
    }

    void close() {
        Memory current = store;
        store = null;
        if (current != null) {
            current.close();
        }
    }

    /** The open store. @throws IllegalStateException when the repository is not started */
    Memory store() {
        Memory current = store;
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
        Memory current = store();
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
