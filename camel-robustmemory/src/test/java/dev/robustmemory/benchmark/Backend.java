package dev.robustmemory.benchmark;

import java.nio.file.Path;

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
    COMPONENT_SYNCHRONOUS(directory -> ComponentSession.open(directory, "&synchronous=true"));

    @FunctionalInterface
    private interface Opener {
        BackendSession open(Path directory) throws Exception;
    }

    private final Opener opener;

    Backend(Opener opener) {
        this.opener = opener;
    }

    /** Opens (creating when absent) this backend's database inside {@code directory}. */
    BackendSession open(Path directory) throws Exception {
        return opener.open(directory);
    }
}
