package dev.robustmemory.model;

import dev.robustmemory.memory.Memory;
import dev.robustmemory.postgresql.PostgresMemory;
import dev.robustmemory.testing.EmbeddedPostgresServer;

import java.nio.file.Path;
import java.time.Clock;

/**
 * The same random scenarios, judged by the same checker against the same model, on the PostgreSQL backend (a real
 * server): the contract both backends keep. Each scenario's memory is a table prefix of its own test run; a reopen
 * is a new {@link PostgresMemory} on the same tables, and there is no lease to hand over (each work is a
 * transaction of its own).
 */
class PostgresMemoryModelPropertiesTest extends MemoryModelPropertiesTest {

    /** A memory of its own for each test, on tables that stay when it is reopened. */
    @Override
    LiveMemory.Backend backend() {
        String prefix = EmbeddedPostgresServer.uniquePrefix("model");
        return new LiveMemory.Backend() {
            @Override
            public Memory open(Path directory, long maxValueSize, Clock clock) {
                return PostgresMemory.open(EmbeddedPostgresServer.dataSource(), prefix, maxValueSize, clock);
            }

            @Override
            public void handOver(Memory memory) {
                // nothing is held between works
            }
        };
    }

    /** Not a test here: batches that share a transaction, and their reruns, are the embedded backend's. */
    @Override
    void aWorkThatThrowsAfterWritingLeavesNothingWhileItsBatchNeighboursCommit() {
    }
}
