package dev.robustmemory.camel;

import java.io.InputStream;
import java.util.Set;

import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.model.RoutesDefinition;
import org.apache.camel.xml.in.ModelParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The aggregation repository bound in the registry and named by an aggregator in an XML route file. */
class RobustMemoryAggregationXmlRouteTest extends RobustMemoryTestSupport {

    private RobustMemoryAggregationRepository orderLines;

    @BeforeEach
    void loadRoutes() throws Exception {
        orderLines = new RobustMemoryAggregationRepository(database().toString(), "order-lines");
        context.getRegistry().bind("orderLines", orderLines);
        try (InputStream xml = getClass().getResourceAsStream("/routes/aggregation-routes.xml")) {
            RoutesDefinition routes = new ModelParser(xml, "http://camel.apache.org/schema/xml-io")
                    .parseRoutesDefinition().orElseThrow();
            context.addRouteDefinitions(routes.getRoutes());
        }
    }

    @Test
    void aggregatesThroughTheNamedBean() throws Exception {
        MockEndpoint orders = getMockEndpoint("mock:xml-orders");
        orders.expectedBodiesReceived("xyz");

        for (String line : new String[] { "x", "y", "z" }) {
            template.sendBodyAndHeader("direct:xml-order-line", line, "orderId", "order-1");
        }

        orders.assertIsSatisfied();
        assertEquals(Set.of(), orderLines.getKeys());
    }
}
