package dev.robustmemory.camel;

import dev.robustmemory.memory.Memory;
import dev.robustmemory.testing.EmbeddedPostgresServer;

/** The tests of {@link RobustMemoryAggregationRepositoryTest}, on PostgreSQL: each test on tables of its own. */
class RobustMemoryAggregationRepositoryPostgresTest extends RobustMemoryAggregationRepositoryTest {

    private final String prefix = EmbeddedPostgresServer.uniquePrefix("aggrepo");

    @Override
    void configureRepository(RepositoryBeanSupport repository) {
        PostgresBackend.configure(repository, prefix);
    }

    @Override
    Memory openMemory() {
        return PostgresBackend.open(prefix);
    }
}
