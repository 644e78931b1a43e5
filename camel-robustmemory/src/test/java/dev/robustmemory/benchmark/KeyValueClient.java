package dev.robustmemory.benchmark;

/** One thread's handle on a system under test: the two operations every key/value workload is made of. */
interface KeyValueClient extends AutoCloseable {

    /** Stores {@code value} under {@code key}, durably, replacing what was there. */
    void store(String key, String value) throws Exception;

    /** @return whether {@code key} holds a value */
    boolean load(String key) throws Exception;

    /** Stores {@code value} under every key; clients that can do it in one transaction do. */
    default void storeAll(Iterable<String> keys, String value) throws Exception {
        for (String key : keys) {
            store(key, value);
        }
    }

    @Override
    void close() throws Exception;
}
