package dev.robustmemory.camel;

import dev.robustmemory.testing.EmbeddedPostgresServer;

/**
 * The tests of {@link RobustMemoryAggregationRouteTest}, the aggregators' repositories on PostgreSQL tables of the
 * test's own: the two aggregators on one repository name meet only in those tables, as two hosts would.
 */
class RobustMemoryAggregationRoutePostgresTest extends RobustMemoryAggregationRouteTest {

    private final String prefix = EmbeddedPostgresServer.uniquePrefix("aggroute");

    @Override
    void configureMemory(RobustMemoryConfiguration configuration) {
        PostgresBackend.configure(configuration);
    }

    @Override
    void configureRepository(RepositoryBeanSupport repository) {
        PostgresBackend.configure(repository, prefix);
    }
}
