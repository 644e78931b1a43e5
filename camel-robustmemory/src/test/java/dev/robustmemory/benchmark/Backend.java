package dev.robustmemory.benchmark;

import java.nio.file.Path;
import java.util.Map;
import java.util.Map;

/** The systems the benchmark compares; an enum so that a child JVM can be told which one by name. */
enum Backend {
    /** DuckDB JDBC on connections held open for the whole run, autocommit: the floor cost of DuckDB itself. */
    RAW_DUCKDB(RawDuckDbSession::open),
    /** Lock, open DuckDB, one operation, close, unlock: what a component without a lease would do. */
    NAIVE_PATTERN(NaivePatternSession::open),
    /** SQLite in WAL mode, one file shared by every process: the usual embedded choice. */
    SQLITE(SqliteSession::open),
    /** The robustmemory Camel producer. */
    COMPONENT(directory -> ComponentSession.open(directory, "")),
    /** The producer with monitorLocks=false: what the metrics headers and meters cost, by difference. */
    COMPONENT_UNMONITORED(directory -> ComponentSession.open(directory, "&monitorLocks=false")),
    /** The producer with synchronous=true: the calling thread waits, no hand-off to the completion executor. */
    COMPONENT_SYNCHRONOUS(directory -> ComponentSession.open(directory, "&synchronous=true")),
    /**
     * PostgreSQL JDBC on connections held open for the whole run, autocommit, upsert and point select on a table of
     * the memory's shape: the floor cost of PostgreSQL itself, on the benchmark's server.
     */
    RAW_POSTGRESQL(RawPostgresSession::open, true),
    /** The PostgreSQL memory's Java API, one work per operation, on the same server as {@link #RAW_POSTGRESQL}. */
    POSTGRESQL_MEMORY(PostgresMemorySession::open, true),
    /** The robustmemory Camel producer with backend=postgresql, on a pool of the benchmark's server. */
    COMPONENT_POSTGRESQL(directory -> ComponentSession.open("backend=postgresql&dataSource=#memoryDataSource"
            + "&tablePrefix=" + BenchPostgres.tablePrefix(directory),
            Map.of("memoryDataSource", new HeldConnectionPool(BenchPostgres.connections())), ""), true);

    @FunctionalInterface
    private interface Opener {
        BackendSession open(Path directory) throws Exception;
    }

    private final Opener opener;
    /** Whether it runs on the benchmark's PostgreSQL server ({@link BenchPostgres}), which child JVMs must reach. */
    private final boolean onPostgresql;

    Backend(Opener opener) {
        this(opener, false);
    }

    Backend(Opener opener, boolean onPostgresql) {
        this.opener = opener;
        this.onPostgresql = onPostgresql;
    }

    /** Opens (creating when absent) this backend's database inside {@code directory}. */
    BackendSession open(Path directory) throws Exception {
        return opener.open(directory);
    }

    /**
     * The system properties a child JVM needs to open this backend on the database this JVM opened: the server's
     * address for a backend on PostgreSQL (whose server this JVM has started by then), none for a file in the
     * directory.
     */
    Map<String, String> childProperties() {
        return onPostgresql ? BenchPostgres.childProperties() : Map.of();
    }
}
