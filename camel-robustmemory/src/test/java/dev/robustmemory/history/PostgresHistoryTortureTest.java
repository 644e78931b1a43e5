package dev.robustmemory.history;

import dev.robustmemory.postgresql.PostgresLockTimeoutException;
import dev.robustmemory.testing.EmbeddedPostgresServer;

import java.util.List;

/**
 * The same torture on the PostgreSQL backend: JVMs (standing in for hosts) share one memory on a real server, are
 * killed with SIGKILL and replaced, and the merged history must be linearizable by the same checker.
 */
class PostgresHistoryTortureTest extends HistoryTortureTest {

    private final String prefix = EmbeddedPostgresServer.uniquePrefix("history");

    @Override
    List<String> memory() {
        EmbeddedPostgresServer.dataSource(); // started in this JVM; the workers connect to it
        return WorkloadJvm.Setup.postgresql(EmbeddedPostgresServer.jdbcUrl(), prefix);
    }

    @Override
    Class<?> lockTimeout() {
        return PostgresLockTimeoutException.class;
    }
}
