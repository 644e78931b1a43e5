package dev.robustmemory.examples.postgresql;

import java.io.IOException;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs the example's two hosts twice on a fresh embedded server: each run accepts each of its orders once although
 * both hosts were sent every order twice, and the counter, which lives in PostgreSQL, goes on from one run to the next.
 */
class PostgresqlApplicationTest {

    private static EmbeddedPostgres server;

    @BeforeAll
    static void startServer() throws IOException {
        server = EmbeddedPostgres.builder().start();
    }

    @AfterAll
    static void stopServer() throws IOException {
        server.close();
    }

    @Test
    void everyOrderIsAcceptedOnceAcrossBothHostsAndRuns() throws Exception {
        assertEquals(PostgresqlApplication.ORDERS_PER_RUN, PostgresqlApplication.runTwoHosts(this::pool));
        assertEquals(2L * PostgresqlApplication.ORDERS_PER_RUN, PostgresqlApplication.runTwoHosts(this::pool));
    }

    private HikariDataSource pool() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(server.getJdbcUrl("postgres", "postgres"));
        config.setMaximumPoolSize(2);
        return new HikariDataSource(config);
    }
}
