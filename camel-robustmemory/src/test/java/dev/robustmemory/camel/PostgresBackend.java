package dev.robustmemory.camel;

import dev.robustmemory.testing.EmbeddedPostgresServer;

/**
 * The contract suite's PostgreSQL side: a test class of the DuckDB suite, subclassed as {@code <Name>PostgresTest}
 * with {@link RobustMemoryTestSupport#configureMemory} calling {@link #configure}, runs every one of its tests on
 * tables of their own on the embedded PostgreSQL server, through the same routes, URIs and headers.
 */
final class PostgresBackend {

    private PostgresBackend() {
    }

    /** Points the options at fresh tables of the embedded server (each call its own prefix). */
    static void configure(RobustMemoryConfiguration configuration) {
        configuration.setBackend(RobustMemoryBackend.postgresql);
        configuration.setDataSource(EmbeddedPostgresServer.dataSource());
        configuration.setTablePrefix(EmbeddedPostgresServer.uniquePrefix("camel"));
    }
}
