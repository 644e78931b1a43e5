package dev.robustmemory.camel;

import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The repository declared as a bean in a YAML route file and used by name by an idempotent consumer. */
class RobustMemoryIdempotentYamlRouteTest extends RobustMemoryTestSupport {

    @BeforeEach
    void loadRoutes() throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(
                ResourceHelper.resolveMandatoryResource(context, "classpath:routes/idempotent-routes.yaml"));
    }

    @Test
    void deduplicatesThroughTheNamedBean() throws Exception {
        MockEndpoint processed = getMockEndpoint("mock:yaml-processed");
        processed.expectedHeaderValuesReceivedInAnyOrder("orderId", "1", "2");

        for (String id : new String[] { "1", "1", "2", "1", "2" }) {
            template.sendBodyAndHeader("direct:yaml-order", null, "orderId", id);
        }

        processed.assertIsSatisfied();
        RobustMemoryIdempotentRepository orderIds
                = context.getRegistry().lookupByNameAndType("orderIds", RobustMemoryIdempotentRepository.class);
        assertEquals("idempotent/orders/", orderIds.keyPrefix());
        assertEquals(database().toString(), orderIds.getDatabase());
        assertTrue(orderIds.contains("2"));
    }
}
