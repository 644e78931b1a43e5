package dev.robustmemory.camel;

import dev.robustmemory.memory.Memory;
import dev.robustmemory.testing.EmbeddedPostgresServer;

/** The tests of {@link RobustMemoryStateRepositoryTest}, on PostgreSQL: each test on tables of its own. */
class RobustMemoryStateRepositoryPostgresTest extends RobustMemoryStateRepositoryTest {

    private final String prefix = EmbeddedPostgresServer.uniquePrefix("staterepo");

    @Override
    void configureRepository(RepositoryBeanSupport repository) {
        PostgresBackend.configure(repository, prefix);
    }

    @Override
    Memory openMemory() {
        return PostgresBackend.open(prefix);
    }
}
