package dev.robustmemory.benchmark;

import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.postgresql.PostgresMemory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The PostgreSQL memory through its Java API, without Camel: one {@code PostgresMemory} per process (as one host
 * would have), shared by its load threads, one work per operation run on the calling thread
 * ({@code execute}, not {@code executeAsync}: the hand-off is the component's business, measured by its own rows).
 * Each store is one transaction that first takes the memory's token row, so stores of all threads and processes run
 * one at a time; each load is a reading work, a read-only snapshot that takes no row lock.
 *
 * <p>Connections come from a {@link HeldConnectionPool} on the benchmark's server, closed with the session.
 */
final class PostgresMemorySession implements BackendSession {

    /** The memory's largest value; the benchmark's are about 60 bytes. */
    static final long MAX_VALUE_SIZE = 1024 * 1024;
    /** Contention must never time out: the benchmark measures waiting, it does not give up. */
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(60);
    /** The most keys one storeAll work writes, as the component's storeAll message carries at most. */
    private static final int STORE_ALL_KEYS = 10_000;
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();

    private final HeldConnectionPool pool;
    private final PostgresMemory memory;

    private PostgresMemorySession(HeldConnectionPool pool, PostgresMemory memory) {
        this.pool = pool;
        this.memory = memory;
    }

    static PostgresMemorySession open(Path directory) throws Exception {
        HeldConnectionPool pool = new HeldConnectionPool(BenchPostgres.connections());
        PostgresMemory memory = PostgresMemory.open(pool, BenchPostgres.tablePrefix(directory), MAX_VALUE_SIZE);
        try {
            // Creates the tables (once per row, whichever process comes first) and fails here, not mid-run.
            memory.execute(LOCK_TIMEOUT, session -> session.size());
        } catch (Exception e) {
            memory.close();
            pool.close();
            throw e;
        }
        return new PostgresMemorySession(pool, memory);
    }

    @Override
    public KeyValueClient newClient() {
        return new KeyValueClient() {
            @Override
            public void store(String key, String value) throws Exception {
                memory.execute(LOCK_TIMEOUT, session -> session.store(key, StoredValue.text(value), ANY_VERSION));
            }

            @Override
            public boolean load(String key) throws Exception {
                // Marked as reading, as the component's load is: on PostgreSQL a snapshot without the token row.
                return memory.execute(LOCK_TIMEOUT, MemoryWork.reading(session -> session.load(key).isPresent()))
                        .result();
            }

            /** One work per {@value #STORE_ALL_KEYS} keys, each one change of the memory. */
            @Override
            public void storeAll(Iterable<String> keys, String value) throws Exception {
                Map<String, StoredValue> batch = new LinkedHashMap<>();
                for (String key : keys) {
                    batch.put(key, StoredValue.text(value));
                    if (batch.size() == STORE_ALL_KEYS) {
                        storeBatch(batch);
                        batch = new LinkedHashMap<>();
                    }
                }
                if (!batch.isEmpty()) {
                    storeBatch(batch);
                }
            }

            @Override
            public void close() {
                // the memory and its pool are the session's, closed with it
            }
        };
    }

    @Override
    public void close() throws Exception {
        try (pool) {
            memory.close();
        }
    }

    private void storeBatch(Map<String, StoredValue> batch) throws Exception {
        memory.execute(LOCK_TIMEOUT, session -> session.storeAll(batch, Map.of()));
    }
}
