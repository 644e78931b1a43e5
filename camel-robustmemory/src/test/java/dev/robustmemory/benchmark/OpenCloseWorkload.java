package dev.robustmemory.benchmark;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;

/**
 * The fixed cost of the naive pattern: opening and closing a DuckDB database file (one connection, nothing else
 * open on it, so each open starts a database instance and takes DuckDB's file lock, and each close ends them). The
 * database holds the benchmark table with {@link Mix#KEYS_PER_THREAD} rows.
 */
record OpenCloseWorkload(String name) implements Workload {

    @Override
    public String description() {
        return "DuckDB open + close of a small database file (no statement), 1 thread";
    }

    @Override
    public Trial prepare(Path directory) throws Exception {
        String url = RawDuckDbSession.url(directory);
        try (RawDuckDbSession session = RawDuckDbSession.open(directory)) {
            Mix.LOAD.preload(session);
        }
        List<LoadDriver.ThreadOperation> openAndClose = List.of(sequence -> DriverManager.getConnection(url).close());
        return new Trial() {
            @Override
            public Measurement measure(Duration window) throws Exception {
                return LoadDriver.run(openAndClose, window);
            }

            @Override
            public void close() {
                // every connection is closed by the operation itself
            }
        };
    }
}
