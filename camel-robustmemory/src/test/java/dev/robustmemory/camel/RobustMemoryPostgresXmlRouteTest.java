package dev.robustmemory.camel;

import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.robustmemory.memory.VersionConflictException;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.model.RoutesDefinition;
import org.apache.camel.xml.in.ModelParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.FOUND;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An XML route file (parsed with camel-xml-io, as {@link RobustMemoryXmlRouteTest} does) on PostgreSQL: the URIs say
 * backend=postgresql and take the table prefix from a property placeholder; storing, loading, compare-and-set, an
 * increment raced from several threads, and an aggregator whose repository bean is on the same tables.
 */
class RobustMemoryPostgresXmlRouteTest extends RobustMemoryTestSupport {

    private final String prefix = EmbeddedPostgresServer.uniquePrefix("xml");
    private RobustMemoryAggregationRepository orderLines;

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        camelContext.getRegistry().bind("pg", EmbeddedPostgresServer.dataSource()); // the only DataSource: autowired
        camelContext.getPropertiesComponent().addInitialProperty("memory.tablePrefix", prefix);
        return camelContext;
    }

    @BeforeEach
    void loadRoutes() throws Exception {
        orderLines = new RobustMemoryAggregationRepository();
        orderLines.setBackend(RobustMemoryBackend.postgresql);
        orderLines.setTablePrefix(context.resolvePropertyPlaceholders("{{memory.tablePrefix}}"));
        orderLines.setRepositoryName("order-lines");
        context.getRegistry().bind("pgOrderLines", orderLines);
        try (InputStream xml = getClass().getResourceAsStream("/routes/postgresql-routes.xml")) {
            RoutesDefinition routes = new ModelParser(xml, "http://camel.apache.org/schema/xml-io")
                    .parseRoutesDefinition().orElseThrow();
            context.addRouteDefinitions(routes.getRoutes());
        }
    }

    @Test
    void storesLoadsAndReplacesByVersionInThePrefixedTables() throws Exception {
        MockEndpoint recalled = getMockEndpoint("mock:pg-xml-recalled");
        recalled.expectedBodiesReceived("hello from xml");
        recalled.expectedHeaderReceived(FOUND, true);

        Exchange stored = template.request("direct:pg-xml-remember", e -> e.getIn().setBody("hello from xml"));
        long version = stored.getMessage().getHeader(VERSION, Long.class);
        template.sendBody("direct:pg-xml-recall", null);
        recalled.assertIsSatisfied();
        assertEquals("hello from xml", textOf("greeting"), "a row of " + prefix + "entries");

        Object replaced = template.request("direct:pg-xml-replace", exchange -> {
            exchange.getIn().setBody("second");
            exchange.getIn().setHeader("seenVersion", version);
        }).getMessage().getHeader(VERSION);
        assertEquals(version + 1, replaced);
        CamelExecutionException stale = assertThrows(CamelExecutionException.class,
                () -> template.sendBodyAndHeader("direct:pg-xml-replace", "third", "seenVersion", version));
        assertEquals(version + 1, assertInstanceOf(VersionConflictException.class, stale.getCause())
                .currentVersion());
        assertEquals("second", textOf("greeting"));
        assertFalse(database().toFile().exists(), "no DuckDB file was made");
    }

    @Test
    void incrementsFromSeveralThreadsAddUpExactly() throws Exception {
        assertEquals(1L, template.requestBody("direct:pg-xml-count", (Object) null));
        assertEquals(6L, template.requestBody("direct:pg-xml-count", 5));
        int threads = 4;
        int each = 15;
        ExecutorService senders = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                sent.add(senders.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        template.requestBody("direct:pg-xml-count", 1);
                    }
                }));
            }
            for (Future<?> done : sent) {
                done.get();
            }
        } finally {
            senders.shutdownNow();
        }
        assertEquals(6L + threads * each + 10, template.requestBody("direct:pg-xml-count", "10"));
        List<Long> counted = new ArrayList<>();
        for (Exchange exchange : getMockEndpoint("mock:pg-xml-counted").getReceivedExchanges()) {
            counted.add(exchange.getIn().getBody(Long.class));
        }
        assertEquals(threads * each + 3, counted.size());
        assertEquals(counted.size(), counted.stream().distinct().count(), "no value returned twice: " + counted);
        assertEquals(String.valueOf(6L + threads * each + 10), textOf("visits"));
    }

    @Test
    void anAggregatorNamesARepositoryBeanOnTheSameTables() throws Exception {
        MockEndpoint orders = getMockEndpoint("mock:pg-xml-orders");
        orders.expectedBodiesReceived("xyz");

        for (String line : new String[] { "x", "y", "z" }) {
            template.sendBodyAndHeader("direct:pg-xml-order-line", line, "orderId", "order-1");
        }

        orders.assertIsSatisfied();
        assertEquals(java.util.Set.of(), orderLines.getKeys());
        assertEquals(RobustMemoryBackend.postgresql, orderLines.getBackend());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!orderLines.unconfirmedExchangeIds().isEmpty()) { // confirmed on the aggregator's thread after the mock
            assertTrue(System.nanoTime() < deadline, "never confirmed");
            Thread.sleep(20);
        }
    }

    /** The text value of the key's row in the test's tables, as stored. */
    private String textOf(String key) throws Exception {
        try (Connection connection = EmbeddedPostgresServer.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT text_value FROM " + prefix + "entries WHERE key = ?")) {
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                assertTrue(row.next(), () -> key + " is a row of " + prefix + "entries");
                return row.getString(1);
            }
        }
    }
}
