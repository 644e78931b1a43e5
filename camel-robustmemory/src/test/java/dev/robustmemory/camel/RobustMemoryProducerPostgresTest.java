package dev.robustmemory.camel;

/** The tests of {@link RobustMemoryProducerTest}, on PostgreSQL. */
class RobustMemoryProducerPostgresTest extends RobustMemoryProducerTest {

    @Override
    void configureMemory(RobustMemoryConfiguration configuration) {
        PostgresBackend.configure(configuration);
    }
}
