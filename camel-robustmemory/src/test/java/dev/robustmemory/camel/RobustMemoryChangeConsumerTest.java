package dev.robustmemory.camel;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;

import dev.robustmemory.memory.ChangesLostException;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.StoredValue;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.CHANGE_TYPE;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static dev.robustmemory.camel.RobustMemoryConstants.REVISION;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The changes consumer in one JVM: what each exchange carries, the order, the prefix, a failed exchange emitted
 * again, and a restart that resumes from the stored position. Each route starts only once the test stored the
 * position to start from (after the memory's latest change, with the log kept), so no write of the test is missed.
 */
class RobustMemoryChangeConsumerTest extends RobustMemoryTestSupport {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String FEED = "robustmemory:feed?consumerType=changes&resumeKey=feed-position&delay=20"
                                       + "&initialDelay=0";
    private final AtomicInteger failuresToGo = new AtomicInteger();

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from(FEED + "&keyPrefix=order/").routeId("orders").autoStartup(false)
                        .process(exchange -> {
                            if (failuresToGo.getAndDecrement() > 0) {
                                throw new IllegalStateException("the first delivery fails");
                            }
                        })
                        .to("mock:orders");
                from(FEED + "&includeValues=false&bridgeErrorHandler=true").routeId("all").autoStartup(false)
                        .onException(ChangesLostException.class).handled(true).to("mock:lost").end()
                        .to("mock:all");
            }
        };
    }

    /** Keeps the change log and stores a position after the latest change, as a consumer that ran before would. */
    private void startFromNow(String routeId) throws Exception {
        try (Memory store = openMemory()) {
            store.execute(TIMEOUT, session -> {
                session.keepChanges(Duration.ofDays(1));
                return session.store("feed-position", StoredValue.json("{\"revision\":" + session.revision()
                                                                        + ",\"key\":null}"), OptionalLong.empty());
            });
        }
        context.getRouteController().startRoute(routeId);
    }

    @Test
    void everyChangeOfThePrefixComesOnceInCommitOrderWithItsHeaders() throws Exception {
        startFromNow("orders");
        MockEndpoint orders = getMockEndpoint("mock:orders");
        orders.expectedMessageCount(5);
        call("robustmemory:order/1", "new");
        call("robustmemory:other/1", "not an order");
        call("robustmemory:batch?operation=storeAll", Map.of("order/2", 2, "order/3", 3));
        call("robustmemory:order/1", null, RobustMemoryConstants.OPERATION, "delete");
        call("robustmemory:any?operation=clear", null, RobustMemoryConstants.KEY_PREFIX, "order/2");
        orders.assertIsSatisfied(TIMEOUT.toMillis());

        List<Exchange> got = orders.getReceivedExchanges();
        assertEquals(List.of("order/1 STORED", "order/2 STORED", "order/3 STORED", "order/1 DELETED",
                "order/2 DELETED"), got.stream().map(e -> e.getIn().getHeader(KEY) + " "
                + e.getIn().getHeader(CHANGE_TYPE)).toList());
        assertEquals("new", got.get(0).getIn().getBody());
        assertEquals(got.get(0).getIn().getHeader(REVISION), got.get(0).getIn().getHeader(VERSION));
        assertEquals(got.get(1).getIn().getHeader(REVISION), got.get(2).getIn().getHeader(REVISION),
                "one storeAll, one revision");
        assertEquals(2L, got.get(1).getIn().getBody());
        assertNull(got.get(3).getIn().getBody());
        for (int i = 1; i < got.size(); i++) {
            assertTrue(got.get(i).getIn().getHeader(REVISION, Long.class)
                       >= got.get(i - 1).getIn().getHeader(REVISION, Long.class));
        }
    }

    @Test
    void aFailedExchangeIsEmittedAgainBeforeAnyLaterChange() throws Exception {
        failuresToGo.set(1);
        startFromNow("orders");
        MockEndpoint orders = getMockEndpoint("mock:orders");
        orders.expectedBodiesReceived("first", "second");
        call("robustmemory:order/1", "first");
        call("robustmemory:order/2", "second");
        orders.assertIsSatisfied(TIMEOUT.toMillis());
    }

    @Test
    void aRestartedRouteResumesAfterWhatItHadProcessedAndMissesNothingWrittenMeanwhile() throws Exception {
        startFromNow("orders");
        MockEndpoint orders = getMockEndpoint("mock:orders");
        orders.expectedBodiesReceived("before");
        call("robustmemory:order/1", "before");
        orders.assertIsSatisfied(TIMEOUT.toMillis());

        context.getRouteController().stopRoute("orders");
        call("robustmemory:order/2", "while stopped");
        orders.reset();
        orders.expectedBodiesReceived("while stopped", "after");
        context.getRouteController().startRoute("orders");
        call("robustmemory:order/3", "after");
        orders.assertIsSatisfied(TIMEOUT.toMillis());
    }

    @Test
    void includeValuesFalseSendsNoBodyAndAPositionTheLogNoLongerHoldsFailsThePolls() throws Exception {
        call("robustmemory:early", "made before the log was kept");
        startFromNow("all");
        MockEndpoint all = getMockEndpoint("mock:all");
        all.expectedMessageCount(1);
        call("robustmemory:k", "v");
        all.assertIsSatisfied(TIMEOUT.toMillis());
        assertNull(all.getReceivedExchanges().get(0).getIn().getBody());

        context.getRouteController().stopRoute("all");
        call("robustmemory:feed-position", Map.of("revision", 0)); // from before the log was kept
        MockEndpoint lost = getMockEndpoint("mock:lost");
        lost.expectedMinimumMessageCount(1);
        context.getRouteController().startRoute("all");
        lost.assertIsSatisfied(TIMEOUT.toMillis());
        assertInstanceOf(ChangesLostException.class,
                lost.getReceivedExchanges().get(0).getProperty(Exchange.EXCEPTION_CAUGHT));
    }
}
