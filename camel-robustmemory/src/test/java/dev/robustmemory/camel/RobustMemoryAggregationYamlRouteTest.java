package dev.robustmemory.camel;

import java.util.Set;

import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The aggregation repository declared as a bean in a YAML route file and used by name by an aggregator. */
class RobustMemoryAggregationYamlRouteTest extends RobustMemoryTestSupport {

    @BeforeEach
    void loadRoutes() throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(
                ResourceHelper.resolveMandatoryResource(context, "classpath:routes/aggregation-routes.yaml"));
    }

    @Test
    void aggregatesThroughTheNamedBean() throws Exception {
        MockEndpoint orders = getMockEndpoint("mock:yaml-orders");
        orders.expectedBodiesReceived("abc"); // StringAggregationStrategy's result is a StringBuffer property

        for (String line : new String[] { "a", "b", "c" }) {
            template.sendBodyAndHeader("direct:yaml-order-line", line, "orderId", "order-1");
        }

        orders.assertIsSatisfied();
        RobustMemoryAggregationRepository orderLines
                = context.getRegistry().lookupByNameAndType("orderLines", RobustMemoryAggregationRepository.class);
        assertEquals("aggregation/order-lines/", orderLines.keyPrefix());
        assertEquals(1000, orderLines.getRecoveryInterval());
        assertEquals(Set.of(), orderLines.getKeys());
    }
}
