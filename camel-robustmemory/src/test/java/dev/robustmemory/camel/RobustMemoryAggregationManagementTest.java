package dev.robustmemory.camel;

import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The aggregation repository, added to the context as a service, as an MBean of Camel's services through the real
 * platform MBeanServer.
 */
class RobustMemoryAggregationManagementTest extends RobustMemoryTestSupport {

    @Override
    protected boolean useJmx() {
        return true;
    }

    private RobustMemoryAggregationRepository repository;

    /** Camel's aggregator starts its repository without registering it; a service of the context is managed. */
    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        repository = new RobustMemoryAggregationRepository(database().toString(), "order-lines");
        repository.setRecoveryInterval(60_000);
        camelContext.addService(repository);
        return camelContext;
    }

    @Test
    void theRepositoryShowsItsOptionsGroupsAndUnconfirmedExchanges() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:lines")
                        .aggregate(header("orderId"), new PartsAggregationStrategy())
                        .aggregationRepository(repository).optimisticLocking().completionSize(2)
                        .to("mock:orders")
                        .throwException(new IllegalStateException("not confirmed"));
            }
        });
        MockEndpoint orders = getMockEndpoint("mock:orders");
        orders.expectedMessageCount(1);
        template.sendBodyAndHeader("direct:lines", "a1", "orderId", "a");
        template.sendBodyAndHeader("direct:lines", "b1", "orderId", "b");
        template.sendBodyAndHeader("direct:lines", "b2", "orderId", "b");
        orders.assertIsSatisfied();

        MBeanServer server = context.getManagementStrategy().getManagementAgent().getMBeanServer();
        Set<ObjectName> found = server.queryNames(new ObjectName("org.apache.camel:context="
                                                                 + context.getManagementName()
                                                                 + ",type=services,name=RobustMemoryAggregationRepository*"),
                null);
        assertEquals(1, found.size(), found::toString);
        ObjectName name = found.iterator().next();

        assertEquals("order-lines", server.getAttribute(name, "RepositoryName"));
        assertEquals(60_000L, server.getAttribute(name, "RecoveryInterval"));
        assertEquals(Set.of("a"), server.invoke(name, "getKeys", null, null));
        String failedGroup = orders.getReceivedExchanges().get(0).getExchangeId();
        assertEquals(Set.of(failedGroup), server.invoke(name, "unconfirmedExchangeIds", null, null));
    }
}
