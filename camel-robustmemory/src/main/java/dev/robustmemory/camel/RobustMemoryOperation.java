package dev.robustmemory.camel;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What a robustmemory producer does with a message. The names are lower case because they are what users write,
 * in the {@code operation} URI option and in the {@code CamelRobustMemoryOperation} header.
 */
public enum RobustMemoryOperation {
    /** Writes the body under the key (a compare-and-set when an expected version is given). */
    store,
    /** Reads the key's value into the body. */
    load,
    /** Removes the key; the body says whether something was removed. */
    delete,
    /** Tells whether the key exists. */
    exists,
    /** Lists the keys, optionally those with a prefix. */
    keys,
    /** Removes every key, optionally those with a prefix; the body is how many were removed. */
    clear,
    /** Counts the keys. */
    size,
    /** Adds the body (default 1) to the key's integer value and returns the new value. */
    increment,
    /**
     * Inspects the lock file(s) now, as one poll of the consumer does, cleaning up when cleanupOrphaned is set; the
     * body is the list of events found (each a Map).
     */
    cleanup,
    /** Reads many keys at once: the body is a collection of keys, the result a Map of those found. */
    loadAll,
    /** Writes the entries of a Map body, all or nothing (compare-and-set with CamelRobustMemoryExpectedVersions). */
    storeAll,
    /** Removes many keys at once: the body is a collection of keys; the result is how many were removed. */
    deleteAll,
    /** Writes the body under the key and returns the value it replaced (null when there was none). */
    getAndSet,
    /** Writes the body only if the key does not exist; the result is the key's value afterwards. */
    putIfAbsent;

    /** The accepted names, for error messages. */
    static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /**
     * The operation with exactly this name.
     *
     * @throws IllegalArgumentException naming the accepted values; never falls back to a default, so a typo in a
     *                                  header cannot silently turn into a store
     */
    static RobustMemoryOperation named(String name, String source) {
        for (RobustMemoryOperation operation : values()) {
            if (operation.name().equals(name)) {
                return operation;
            }
        }
        throw new IllegalArgumentException("Unknown robustmemory operation '" + name + "' in " + source
                                           + "; expected one of: " + names());
    }
}
