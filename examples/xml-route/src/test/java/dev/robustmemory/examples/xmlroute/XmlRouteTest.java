package dev.robustmemory.examples.xmlroute;

import java.nio.file.Path;
import java.util.List;

import dev.robustmemory.camel.RobustMemoryComponent;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.apache.camel.test.junit5.TestExecutionConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs the example's XML routes, read the way the application reads them, against a temporary database, with the
 * timer replaced by a direct endpoint, and checks what each step returned and what stayed in the memory.
 */
class XmlRouteTest extends CamelTestSupport {

    @TempDir
    Path directory;

    @Override
    public void configureTest(TestExecutionConfiguration configuration) {
        super.configureTest(configuration);
        configuration.withUseAdviceWith(true);
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        // what application.properties sets for the application
        camelContext.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration()
                .setDatabase(directory.resolve("orders.duckdb").toString());
        return camelContext;
    }

    @Override
    protected RoutesBuilder createRouteBuilder() {
        return new XmlRoutesFile(XmlRouteApplication.ROUTES);
    }

    @Test
    void remembersTheLastOrderAndCountsOrdersPerCustomer() throws Exception {
        AdviceWith.adviceWith(context, "sample-orders", route -> route.replaceFromWith("direct:start"));
        AdviceWith.adviceWith(context, "remember-last-order", route -> {
            route.weaveById("store-last-order").after().to("mock:stored");
            route.weaveById("load-last-order").after().to("mock:loaded");
            route.weaveById("count-orders").after().to("mock:counted");
        });
        context.start();
        MockEndpoint stored = getMockEndpoint("mock:stored");
        MockEndpoint loaded = getMockEndpoint("mock:loaded");
        MockEndpoint counted = getMockEndpoint("mock:counted");
        // versions are the memory's revisions: each order is one store and one increment
        stored.expectedHeaderValuesReceivedInAnyOrder("CamelRobustMemoryVersion", 1L, 3L, 5L);
        loaded.expectedBodiesReceived("order-1", "order-2", "order-3");
        loaded.expectedHeaderReceived("CamelRobustMemoryFound", true);
        counted.expectedBodiesReceived(1L, 1L, 2L);

        template.sendBody("direct:start", null);

        MockEndpoint.assertIsSatisfied(stored, loaded, counted);
        assertEquals(List.of("last-order-ada", "last-order-bob", "orders-ada", "orders-bob"),
                template.requestBody("robustmemory:?operation=keys", null, List.class));
        Exchange last = template.request("robustmemory:last-order-ada?operation=load", exchange -> { });
        assertEquals("order-3", last.getMessage().getBody());
    }
}
