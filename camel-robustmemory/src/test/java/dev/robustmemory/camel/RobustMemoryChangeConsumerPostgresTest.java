package dev.robustmemory.camel;

/** The tests of {@link RobustMemoryChangeConsumerTest}, on PostgreSQL. */
class RobustMemoryChangeConsumerPostgresTest extends RobustMemoryChangeConsumerTest {

    @Override
    void configureMemory(RobustMemoryConfiguration configuration) {
        PostgresBackend.configure(configuration);
    }
}
