package dev.robustmemory.camel;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import dev.robustmemory.postgresql.PostgresLockTimeoutException;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import static dev.robustmemory.camel.RobustMemoryConstants.FENCING_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_ACQUISITIONS;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_HOLD_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUTS;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What only the PostgreSQL backend has, through Camel: finding its data source, its tables, its lock timeouts in
 * headers and meters, its health check, the operations it refuses, and YAML routes and repositories on it. What both
 * backends share runs in the {@code *PostgresTest} subclasses of the DuckDB suite.
 */
class RobustMemoryPostgresTest extends RobustMemoryTestSupport {

    private final String prefix = EmbeddedPostgresServer.uniquePrefix("route");
    private final String memory = "?backend=postgresql&tablePrefix=" + prefix;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        camelContext.getRegistry().bind("pg", EmbeddedPostgresServer.dataSource()); // the only DataSource: autowired
        camelContext.getRegistry().bind("meters", meters);
        camelContext.getPropertiesComponent().addInitialProperty("memory.tablePrefix", prefix);
        return camelContext;
    }

    @Test
    void theOnlyDataSourceIsAutowiredAndTheValuesAreRowsOfThePrefixedTables() throws Exception {
        Exchange stored = call("robustmemory:greeting" + memory, "hello");
        assertEquals(stored.getMessage().getHeader(VERSION), call("robustmemory:greeting" + memory
                                                                   + "&operation=load", null).getMessage()
                .getHeader(VERSION));
        try (Connection connection = EmbeddedPostgresServer.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT text_value, version FROM " + prefix + "entries WHERE key = ?")) {
            select.setString(1, "greeting");
            try (ResultSet row = select.executeQuery()) {
                assertTrue(row.next(), "the value is a row of " + prefix + "entries");
                assertEquals("hello", row.getString(1));
                assertEquals(stored.getMessage().getHeader(VERSION), row.getLong(2));
            }
        }
        assertFalse(database().toFile().exists(), "no DuckDB file was made");
    }

    @Test
    void withSeveralDataSourcesTheOptionNamesOne() throws Exception {
        try (CamelContext other = new DefaultCamelContext()) {
            other.getRegistry().bind("first", EmbeddedPostgresServer.dataSource());
            other.getRegistry().bind("second", unreachable());
            other.start();
            Exception ambiguous = assertThrows(Exception.class, () -> other.getEndpoint("robustmemory:k" + memory));
            assertTrue(causes(ambiguous).contains("needs the option dataSource")
                       && causes(ambiguous).contains("2 DataSource beans"), causes(ambiguous));
            assertEquals("v", other.createProducerTemplate().requestBody("robustmemory:k" + memory
                                                                          + "&dataSource=#first", "v"));
        }
    }

    @Test
    void aBadTablePrefixFailsWhenTheEndpointIsCreated() {
        Exception refused = assertThrows(Exception.class,
                () -> context.getEndpoint("robustmemory:k?backend=postgresql&tablePrefix=Robust-Memory"));
        assertTrue(causes(refused).contains("table prefix") && causes(refused).contains("Robust-Memory"),
                causes(refused));
    }

    @Test
    void aWorkHoldingTheMemoryElsewhereMakesALockTimeoutInHeadersAndMeters() throws Exception {
        call("robustmemory:k" + memory, "v"); // creates the tables
        Exchange timedOut;
        try (Connection holder = EmbeddedPostgresServer.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (Statement statement = holder.createStatement()) {
                statement.execute("SELECT value FROM " + prefix + "meta WHERE name = 'fencing_token' FOR UPDATE");
            }
            timedOut = send("robustmemory:k" + memory + "&lockTimeout=300ms", "refused");
            holder.rollback();
        }
        assertInstanceOf(PostgresLockTimeoutException.class, timedOut.getException());
        assertEquals(1L, headers(timedOut).get(LOCK_TIMEOUTS));
        assertTrue((Double) headers(timedOut).get(LOCK_WAIT_TIME) >= 290, () -> "waited " + headers(timedOut));
        assertFalse(headers(timedOut).containsKey(LOCK_HOLD_TIME), "it never held the memory");

        Map<String, Object> after = headers(call("robustmemory:k" + memory, "v"));
        assertEquals(2L, after.get(LOCK_ACQUISITIONS));
        assertTrue((Long) after.get(FENCING_TOKEN) > 0);
        assertEquals("v", template.requestBody("robustmemory:k" + memory + "&operation=load", (Object) null));
        assertEquals(1, meters.find("robustmemory.lock.timeouts").tag("database", "postgresql:" + prefix)
                .functionCounter().count());
        assertTrue(meters.find("robustmemory.lock.waiters").meters().isEmpty(),
                "PostgreSQL's waiters wait in the server: no gauge of this JVM's");
    }

    @Test
    void theManagementViewShowsTheStatisticsAndItsLockTimeoutRulesThePostgresqlProducers() throws Exception {
        call("robustmemory:k" + memory, "v");
        ManagedMemory view = context.getComponent("robustmemory", RobustMemoryComponent.class).managedMemories()
                .stream().filter(candidate -> candidate.getDatabase().equals("postgresql:" + prefix)).findFirst()
                .orElseThrow();
        assertEquals("postgresql", view.getBackend());
        assertEquals(null, view.getLockFile());
        assertEquals(null, view.getHolder());
        assertEquals(1L, view.getLockAcquisitions());
        assertEquals(Map.of("database", "postgresql:" + prefix, "backend", "postgresql"),
                Map.of("database", view.facts().get("database"), "backend", view.facts().get("backend")));
        assertThrows(UnsupportedOperationException.class, view::cleanupNow);

        view.setLockTimeout("200ms"); // the endpoint's own is 5 s
        try (Connection holder = EmbeddedPostgresServer.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (Statement statement = holder.createStatement()) {
                statement.execute("SELECT value FROM " + prefix + "meta WHERE name = 'fencing_token' FOR UPDATE");
            }
            long start = System.nanoTime();
            Exchange timedOut = send("robustmemory:k" + memory, "refused");
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            holder.rollback();
            assertInstanceOf(PostgresLockTimeoutException.class, timedOut.getException());
            assertTrue(waitedMillis < 3_000, "waited " + waitedMillis + " ms: the operator's 200 ms applied");
        }
        assertEquals(1L, view.getLockTimeouts());
    }

    @Test
    void theHealthCheckReachesTheDatabase() throws Exception {
        context.getRegistry().bind("unreachable", unreachable());
        HealthCheckHelper.getHealthCheckRepository(context, "producers").setEnabled(true);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:up").to("robustmemory:k" + memory + "&dataSource=#pg");
                from("direct:down").to("robustmemory:k?backend=postgresql&tablePrefix=elsewhere_"
                                       + "&dataSource=#unreachable&lazyStartProducer=true");
            }
        });
        template.sendBody("direct:up", "v");
        Exception unreachable = assertThrows(Exception.class, () -> template.sendBody("direct:down", "v"));
        assertTrue(causes(unreachable).contains("PostgreSQL"), causes(unreachable));

        HealthCheck.Result up = result("postgresql:" + prefix);
        assertEquals(HealthCheck.State.UP, up.getState(), up::toString);
        assertEquals("postgresql:" + prefix, up.getDetails().get("database"));
        HealthCheck.Result down = result("postgresql:elsewhere_");
        assertEquals(HealthCheck.State.DOWN, down.getState());
        assertTrue(down.getMessage().orElseThrow().contains("cannot connect to PostgreSQL"), down::toString);
    }

    @Test
    void whatOnlyTheDuckDbBackendHasIsRefusedSayingWhy() throws Exception {
        Exchange cleanup = send("robustmemory:k" + memory + "&operation=cleanup", null);
        assertInstanceOf(UnsupportedOperationException.class, cleanup.getException());
        assertTrue(cleanup.getException().getMessage().contains("lock files of the duckdb backend"));

        Exception refused = assertThrows(Exception.class, () -> context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("robustmemory:events" + memory).to("mock:never");
            }
        }));
        assertTrue(causes(refused).contains("consumerType=changes"), causes(refused));
    }

    @Test
    void yamlRoutesAndAnIdempotentRepositoryOnPostgresql() throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(
                ResourceHelper.resolveMandatoryResource(context, "classpath:routes/postgresql-routes.yaml"));
        Exchange remembered = template.request("direct:pg-remember", exchange -> exchange.getIn().setBody("hi"));
        assertInstanceOf(Long.class, remembered.getMessage().getHeader(VERSION));
        MockEndpoint accepted = getMockEndpoint("mock:pg-accepted");
        accepted.expectedBodiesReceived(1L, 2L);
        for (String order : List.of("A-1", "A-2", "A-1", "A-2")) {
            template.sendBodyAndHeader("direct:pg-order", null, "orderId", order);
        }
        accepted.assertIsSatisfied();

        // A second repository on the same tables, as another process (or host) would have it, sees the same ids.
        RobustMemoryIdempotentRepository elsewhere = new RobustMemoryIdempotentRepository();
        elsewhere.setBackend(RobustMemoryBackend.postgresql);
        elsewhere.setDataSource(EmbeddedPostgresServer.dataSource());
        elsewhere.setTablePrefix(prefix);
        elsewhere.setName("orders");
        elsewhere.start();
        try {
            assertTrue(elsewhere.contains("A-1"));
            assertFalse(elsewhere.add("A-2"));
            assertTrue(elsewhere.add("A-3"));
        } finally {
            elsewhere.stop();
        }
        assertEquals("hi", template.requestBody("robustmemory:greeting" + memory + "&operation=load",
                (Object) null));
    }

    private HealthCheck.Result result(String memoryName) {
        return HealthCheckHelper.invoke(context, check -> Map.of(HealthCheck.CHECK_KIND, HealthCheck.Kind.READINESS),
                        check -> !check.isReadiness(), "full").stream()
                .filter(result -> result.getCheck().getId().equals("producer:robustmemory-" + memoryName))
                .findFirst().orElseThrow(() -> new AssertionError("no check of " + memoryName));
    }

    private static DataSource unreachable() {
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setURL("jdbc:postgresql://127.0.0.1:1/none");
        nowhere.setConnectTimeout(1);
        return nowhere;
    }

    private static String causes(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            text.append(cause.getMessage()).append(" / ");
        }
        return text.toString();
    }
}
