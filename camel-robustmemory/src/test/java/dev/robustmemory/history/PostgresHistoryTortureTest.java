package dev.robustmemory.history;

import dev.robustmemory.postgresql.PostgresLockTimeoutException;
import dev.robustmemory.testing.EmbeddedPostgresServer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same torture on the PostgreSQL backend: JVMs (standing in for hosts) share one memory on a real server, are
 * killed with SIGKILL and replaced, and meanwhile the server terminates their backends ({@code pg_terminate_backend})
 * in the middle of works; the merged history must be linearizable by the same checker. A work whose backend went
 * before the commit failed and left nothing; one that lost it during the commit has an unknown outcome.
 */
class PostgresHistoryTortureTest extends HistoryTortureTest {

    private static final long TERMINATE_EVERY_MILLIS = 40;

    private final String prefix = EmbeddedPostgresServer.uniquePrefix("history");

    @Override
    List<String> memory() {
        EmbeddedPostgresServer.dataSource(); // started in this JVM; the workers connect to it
        return WorkloadJvm.Setup.postgresql(EmbeddedPostgresServer.jdbcUrl(), prefix);
    }

    /** Terminates, now and then, the backend of one of this memory's works that is inside a transaction. */
    @Override
    AutoCloseable disturb() throws SQLException {
        Connection admin = EmbeddedPostgresServer.dataSource().getConnection();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger terminated = new AtomicInteger();
        Thread terminator = new Thread(() -> {
            try (Statement statement = admin.createStatement()) {
                while (!stop.get()) {
                    try (ResultSet killed = statement.executeQuery("SELECT pg_terminate_backend(pid) FROM"
                            + " pg_stat_activity WHERE pid <> pg_backend_pid() AND state <> 'idle' AND query LIKE '%"
                            + prefix + "%' ORDER BY random() LIMIT 1")) {
                        while (killed.next()) {
                            terminated.incrementAndGet();
                        }
                    }
                    Thread.sleep(TERMINATE_EVERY_MILLIS); // a pace, not a wait for anything
                }
            } catch (SQLException | InterruptedException e) {
                throw new IllegalStateException("The terminator stopped", e);
            }
        }, "backend-terminator");
        terminator.start();
        return () -> {
            stop.set(true);
            terminator.join();
            admin.close();
            System.out.println("pg_terminate_backend: " + terminated.get() + " backends terminated mid-work");
            assertTrue(terminated.get() > 0, "backends must really be terminated, or that case goes untested");
        };
    }

    @Override
    Class<?> lockTimeout() {
        return PostgresLockTimeoutException.class;
    }
}
