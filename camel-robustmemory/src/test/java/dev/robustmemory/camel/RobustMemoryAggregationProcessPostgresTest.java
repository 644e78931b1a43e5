package dev.robustmemory.camel;

import java.util.List;

import dev.robustmemory.memory.Memory;
import dev.robustmemory.testing.EmbeddedPostgresServer;

/**
 * The tests of {@link RobustMemoryAggregationProcessTest}, the children's repository on PostgreSQL tables of the
 * test's own, each child with a data source of its own. The survivor recovers the killed child's completed group
 * because both run on this host: the claim names a process of this host that is gone.
 */
class RobustMemoryAggregationProcessPostgresTest extends RobustMemoryAggregationProcessTest {

    private final String prefix = EmbeddedPostgresServer.uniquePrefix("aggproc");

    @Override
    List<String> memoryArguments(String repository, int completionSize, String blocking) {
        return List.of(EmbeddedPostgresServer.jdbcUrl(), repository, Integer.toString(completionSize), blocking,
                prefix);
    }

    @Override
    Memory openMemory() {
        return PostgresBackend.open(prefix);
    }
}
