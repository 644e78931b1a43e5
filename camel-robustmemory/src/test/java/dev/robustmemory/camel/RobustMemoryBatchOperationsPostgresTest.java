package dev.robustmemory.camel;

/** The tests of {@link RobustMemoryBatchOperationsTest}, on PostgreSQL. */
class RobustMemoryBatchOperationsPostgresTest extends RobustMemoryBatchOperationsTest {

    @Override
    void configureMemory(RobustMemoryConfiguration configuration) {
        PostgresBackend.configure(configuration);
    }
}
