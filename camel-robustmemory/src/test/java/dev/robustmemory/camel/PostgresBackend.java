package dev.robustmemory.camel;

import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.postgresql.PostgresMemory;
import dev.robustmemory.testing.EmbeddedPostgresServer;

/**
 * The contract suite's PostgreSQL side: a test class of the DuckDB suite, subclassed as {@code <Name>PostgresTest}
 * with {@link RobustMemoryTestSupport#configureMemory} calling {@link #configure}, runs every one of its tests on
 * tables of their own on the embedded PostgreSQL server, through the same routes, URIs and headers. The repository
 * suites do the same through a hook of their own that points each repository bean of a test at that test's tables,
 * and open those tables as another process (or host) would.
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

    /** Points a repository bean at the tables of the embedded server with this prefix (shared by a test's beans). */
    static void configure(RepositoryBeanSupport repository, String tablePrefix) {
        repository.setBackend(RobustMemoryBackend.postgresql);
        repository.setDataSource(EmbeddedPostgresServer.dataSource());
        repository.setTablePrefix(tablePrefix);
    }

    /** The memory in the tables with this prefix, as another process (or host) would open it. */
    static Memory open(String tablePrefix) {
        return PostgresMemory.open(EmbeddedPostgresServer.dataSource(), tablePrefix,
                StoreSettings.DEFAULT_MAX_VALUE_SIZE);
    }
}
