package dev.robustmemory.benchmark;

import java.util.List;

/** A system under test, opened in this process on one database; each load thread gets its own client. */
interface BackendSession extends AutoCloseable {

    KeyValueClient newClient() throws Exception;

    /** Stores {@code keys} so that load workloads find them. Backends may do it faster than one store per key. */
    default void preload(List<String> keys, String value) throws Exception {
        try (KeyValueClient client = newClient()) {
            client.storeAll(keys, value);
        }
    }
}
