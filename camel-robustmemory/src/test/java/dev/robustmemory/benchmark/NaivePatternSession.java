package dev.robustmemory.benchmark;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.LockGrant;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;

/**
 * The naive safe pattern, one operation per grant: acquire the cross-process lock, open DuckDB, run one statement,
 * close DuckDB (which releases DuckDB's own file lock and may checkpoint), release. Correct across processes, and
 * bounded by the cost of opening and closing the database, whatever the number of processes or threads.
 */
final class NaivePatternSession implements BackendSession {

    /** Long enough that contention never times out: the benchmark measures waiting, it does not give up. */
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(60);

    private final CrossProcessLock lock;
    private final String url;

    private NaivePatternSession(CrossProcessLock lock, String url) {
        this.lock = lock;
        this.url = url;
    }

    static NaivePatternSession open(Path directory) throws Exception {
        CrossProcessLock lock = CrossProcessLock.open(directory.resolve("memory.duckdb.lock"),
                LockFileSettings.defaults());
        String url = RawDuckDbSession.url(directory);
        try (LockGrant grant = lock.acquire(LOCK_TIMEOUT); Connection connection = DriverManager.getConnection(url)) {
            JdbcKeyValueClient.createTable(connection);
        }
        return new NaivePatternSession(lock, url);
    }

    @Override
    public KeyValueClient newClient() {
        return new KeyValueClient() {
            @Override
            public void store(String key, String value) throws Exception {
                underLock(client -> {
                    client.store(key, value);
                    return null;
                });
            }

            @Override
            public boolean load(String key) throws Exception {
                return underLock(client -> client.load(key));
            }

            @Override
            public void close() {
                // nothing is held between operations: that is the pattern
            }
        };
    }

    @Override
    public void preload(List<String> keys, String value) throws Exception {
        underLock(client -> {
            client.storeAll(keys, value);
            return null;
        });
    }

    @Override
    public void close() {
        // the lock instance lives as long as the JVM (one per lock file); nothing else is open
    }

    private interface Work<T> {
        T run(JdbcKeyValueClient client) throws Exception;
    }

    private <T> T underLock(Work<T> work) throws Exception {
        try (LockGrant grant = lock.acquire(LOCK_TIMEOUT);
             JdbcKeyValueClient client = new JdbcKeyValueClient(DriverManager.getConnection(url))) {
            return work.run(client);
        }
    }
}
