package dev.robustmemory.camel;

/** Where a memory lives: the option {@code backend}. */
public enum RobustMemoryBackend {
    /** An embedded DuckDB file shared by the processes of one host under a file lock (the default). */
    duckdb,
    /** Tables in a PostgreSQL database shared by the processes of every host that reaches it. */
    postgresql
}
