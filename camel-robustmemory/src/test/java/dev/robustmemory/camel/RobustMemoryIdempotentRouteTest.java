package dev.robustmemory.camel;

import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The repository behind Camel's idempotent consumer in a Java DSL route: eager adds, removal on failure. */
class RobustMemoryIdempotentRouteTest extends RobustMemoryTestSupport {

    private RobustMemoryIdempotentRepository repository;

    @Override
    protected RoutesBuilder createRouteBuilder() {
        repository = new RobustMemoryIdempotentRepository(database().toString(), "orders");
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:order")
                        .idempotentConsumer(header("orderId"), repository)
                        .to("mock:processed")
                        .filter(header("fail")).throwException(new IllegalStateException("processing failed"));
            }
        };
    }

    @Test
    void processesEachIdOnce() throws Exception {
        MockEndpoint processed = getMockEndpoint("mock:processed");
        processed.expectedHeaderValuesReceivedInAnyOrder("orderId", "a", "b");

        for (String id : new String[] { "a", "b", "a", "b", "a" }) {
            template.sendBodyAndHeader("direct:order", null, "orderId", id);
        }

        processed.assertIsSatisfied();
        assertTrue(repository.contains("a"));
    }

    @Test
    void aFailedMessageMayBeProcessedAgain() throws Exception {
        MockEndpoint processed = getMockEndpoint("mock:processed");
        processed.expectedMessageCount(2);

        Exchange failed = send("direct:order", null, "orderId", "c", "fail", true);
        assertNotNull(failed.getException());
        assertFalse(repository.contains("c"), "removed on failure, so that a retry is processed");
        send("direct:order", null, "orderId", "c");

        processed.assertIsSatisfied();
        assertTrue(repository.contains("c"));
    }
}
