package dev.robustmemory.examples.quickstart;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.apache.camel.test.junit5.TestExecutionConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the quick start route twice against a fresh database, with the timer replaced by a direct endpoint, and
 * checks what each step returned and what stayed in the memory.
 */
class QuickstartRoutesTest extends CamelTestSupport {

    @TempDir
    Path directory;

    @Override
    public void configureTest(TestExecutionConfiguration configuration) {
        super.configureTest(configuration);
        configuration.withUseAdviceWith(true);
    }

    @Override
    protected RoutesBuilder createRouteBuilder() {
        return new QuickstartRoutes(database());
    }

    @Test
    void storesLoadsAndCountsAndTheCounterSurvivesTheRun() throws Exception {
        AdviceWith.adviceWith(context, QuickstartRoutes.ROUTE_ID, route -> {
            route.replaceFromWith("direct:start");
            route.weaveById("store-greeting").after().to("mock:stored");
            route.weaveById("load-greeting").after().to("mock:loaded");
            route.weaveAddLast().to("mock:counted");
        });
        context.start();
        MockEndpoint stored = getMockEndpoint("mock:stored");
        MockEndpoint loaded = getMockEndpoint("mock:loaded");
        MockEndpoint counted = getMockEndpoint("mock:counted");
        stored.expectedMessageCount(2);
        loaded.expectedBodiesReceived(QuickstartRoutes.GREETING, QuickstartRoutes.GREETING);
        // the counter is in the database, not in the route: the second run continues where the first stopped
        counted.expectedBodiesReceived((long) QuickstartRoutes.INCREMENTS, 2L * QuickstartRoutes.INCREMENTS);

        template.sendBody("direct:start", null);
        template.sendBody("direct:start", null);

        MockEndpoint.assertIsSatisfied(stored, loaded, counted);
        for (int run = 0; run < 2; run++) {
            Message load = loaded.getExchanges().get(run).getMessage();
            assertEquals(Boolean.TRUE, load.getHeader("CamelRobustMemoryFound", Boolean.class));
            // versions are revisions of the whole memory: each run makes one store and INCREMENTS increments
            assertEquals(1L + run * (QuickstartRoutes.INCREMENTS + 1L),
                    load.getHeader("CamelRobustMemoryVersion", Long.class));
        }
        assertFencingTokensNeverDecrease(stored.getExchanges());
        assertFencingTokensNeverDecrease(counted.getExchanges());
        assertEquals(2L * (QuickstartRoutes.INCREMENTS + 1),
                counted.getExchanges().get(1).getMessage().getHeader("CamelRobustMemoryVersion", Long.class));

        Message counter = template.request(
                "robustmemory:" + QuickstartRoutes.COUNTER_KEY + "?operation=load&database=" + database(),
                exchange -> { }).getMessage();
        assertEquals(2L * QuickstartRoutes.INCREMENTS, counter.getBody(Long.class));
    }

    private Path database() {
        return directory.resolve("quickstart.duckdb");
    }

    /** Tokens never go back; two runs may share one, when the store's lease holds the lock across both. */
    private static void assertFencingTokensNeverDecrease(List<Exchange> exchanges) {
        long first = exchanges.get(0).getMessage().getHeader("CamelRobustMemoryFencingToken", Long.class);
        long second = exchanges.get(1).getMessage().getHeader("CamelRobustMemoryFencingToken", Long.class);
        assertTrue(first > 0 && second >= first, "fencing tokens " + first + " then " + second);
    }
}
