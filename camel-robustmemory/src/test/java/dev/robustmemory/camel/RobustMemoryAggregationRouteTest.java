package dev.robustmemory.camel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.processor.aggregate.GroupedExchangeAggregationStrategy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repository behind Camel's aggregator: groups complete whole, concurrent aggregators lose no part, recovery.
 * Part of the contract suite ({@link RobustMemoryAggregationRoutePostgresTest}).
 */
class RobustMemoryAggregationRouteTest extends RobustMemoryTestSupport {

    private static final int PARTS = 3;
    /** Each poll lists keys, which applies the journal to DuckDB: not in a busy loop beside the aggregators. */
    private static final long POLL_INTERVAL_MILLIS = 10;

    private final PartsAggregationStrategy strategy = new PartsAggregationStrategy();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private RobustMemoryAggregationRepository first;
    private RobustMemoryAggregationRepository second;
    private RobustMemoryAggregationRepository failing;
    private RobustMemoryAggregationRepository grouped;

    @Override
    protected RoutesBuilder createRouteBuilder() {
        first = repository("orders");
        second = repository("orders");
        failing = repository("failing");
        grouped = repository("grouped");
        failing.setMaximumRedeliveries(2);
        failing.setDeadLetterUri("mock:dead");
        return new RouteBuilder() {
            @Override
            public void configure() {
                // Two aggregators on one repository name: as two processes would, they meet only in the memory.
                from("direct:first").routeId("first")
                        .aggregate(header("id"), strategy).aggregationRepository(first).optimisticLocking()
                        .completionSize(PARTS)
                        .to("mock:groups");
                from("direct:second").routeId("second")
                        .aggregate(header("id"), strategy).aggregationRepository(second).optimisticLocking()
                        .completionSize(PARTS)
                        .to("mock:groups");
                from("direct:grouped")
                        .aggregate(header("id"), new GroupedExchangeAggregationStrategy())
                        .aggregationRepository(grouped).optimisticLocking().completionSize(PARTS)
                        .to("mock:grouped");
                from("direct:failing")
                        .aggregate(header("id"), strategy).aggregationRepository(failing).optimisticLocking()
                        .completionSize(PARTS)
                        .to("mock:attempts")
                        .process(exchange -> {
                            if (failuresLeft.getAndDecrement() > 0) {
                                throw new IllegalStateException("downstream failed");
                            }
                        })
                        .to("mock:delivered");
            }
        };
    }

    private RobustMemoryAggregationRepository repository(String name) {
        RobustMemoryAggregationRepository repository = new RobustMemoryAggregationRepository();
        repository.setRepositoryName(name);
        configureRepository(repository);
        repository.setRecoveryInterval(200);
        return repository;
    }

    /**
     * Where the test's repositories are: the DuckDB file here. {@link RobustMemoryAggregationRoutePostgresTest} puts
     * them on PostgreSQL tables instead; the repositories of one test always share their memory.
     */
    void configureRepository(RepositoryBeanSupport repository) {
        repository.setDatabase(database().toString());
    }

    @Test
    void aGroupCompletesWithAllItsPartsAndLeavesNothingBehind() throws Exception {
        MockEndpoint groups = getMockEndpoint("mock:groups");
        groups.expectedBodiesReceived(parts("a1", "a2", "a3"));

        for (int part = 1; part <= PARTS; part++) {
            template.sendBodyAndHeader("direct:first", "a" + part, "id", "a");
        }

        groups.assertIsSatisfied();
        Exchange group = groups.getReceivedExchanges().get(0);
        assertEquals("a", group.getProperty(Exchange.AGGREGATED_CORRELATION_KEY));
        assertEquals(PARTS, group.getProperty(Exchange.AGGREGATED_SIZE));
        assertEquals(Map.of(), stillStored(), "no group and nothing unconfirmed");
    }

    /** Camel's own strategy that keeps the parts as exchanges in a property works through the repository. */
    @Test
    void camelsGroupedExchangeStrategyKeepsItsPartsInTheMemory() throws Exception {
        MockEndpoint grouped = getMockEndpoint("mock:grouped");
        grouped.expectedMessageCount(1);

        for (int part = 1; part <= PARTS; part++) {
            template.sendBodyAndHeader("direct:grouped", "e" + part, "id", "e");
        }

        grouped.assertIsSatisfied();
        List<?> parts = grouped.getReceivedExchanges().get(0).getIn().getBody(List.class);
        assertEquals(List.of("e1", "e2", "e3"), parts.stream().map(part -> ((Exchange) part).getIn().getBody()).toList());
    }

    /**
     * Parts of the same groups arrive at once through two aggregators on one repository name from 8 threads; the
     * conflicts they meet make the aggregator read the group again and retry, so every group completes once, whole.
     */
    @Test
    void concurrentAggregatorsLoseNoPartAndCompleteEachGroupOnce() throws Exception {
        int groupCount = 30;
        MockEndpoint groups = getMockEndpoint("mock:groups");
        groups.expectedMessageCount(groupCount);
        List<String[]> sends = new ArrayList<>();
        for (int group = 0; group < groupCount; group++) {
            for (int part = 1; part <= PARTS; part++) {
                sends.add(new String[] { group % 2 == part % 2 ? "direct:first" : "direct:second", "g" + group,
                        "g" + group + "-p" + part });
            }
        }
        ExecutorService senders = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (String[] send : sends) {
                sent.add(senders.submit(() -> template.sendBodyAndHeader(send[0], send[2], "id", send[1])));
            }
            for (Future<?> each : sent) {
                each.get();
            }
        } finally {
            senders.shutdownNow();
        }

        groups.assertIsSatisfied();
        Map<String, List<Object>> partsByGroup = new HashMap<>();
        for (Exchange group : groups.getReceivedExchanges()) {
            String id = group.getProperty(Exchange.AGGREGATED_CORRELATION_KEY, String.class);
            List<Object> earlier = partsByGroup.put(id, group.getIn().getBody(List.class));
            assertEquals(null, earlier, () -> id + " completed twice");
        }
        for (int group = 0; group < groupCount; group++) {
            List<Object> parts = new ArrayList<>(partsByGroup.get("g" + group));
            parts.sort(null);
            assertEquals(List.of("g" + group + "-p1", "g" + group + "-p2", "g" + group + "-p3"), parts);
        }
        assertEquals(Map.of(), stillStored());
        System.out.println("optimistic lock conflicts retried: " + strategy.optimisticLockFailures());
    }

    /**
     * While the first aggregator aggregates x2, the second adds x3 to the same group: the first one's add then
     * conflicts, and the aggregator retries it on the newer group, so the group completes with all three parts.
     */
    @Test
    void aConflictingAddIsRetriedOnTheNewerGroup() throws Exception {
        MockEndpoint groups = getMockEndpoint("mock:groups");
        groups.expectedBodiesReceived(parts("x1", "x3", "x2"));
        strategy.interleaveOnce("x2", () -> template.sendBodyAndHeader("direct:second", "x3", "id", "x"));

        template.sendBodyAndHeader("direct:first", "x1", "id", "x");
        template.sendBodyAndHeader("direct:first", "x2", "id", "x");

        groups.assertIsSatisfied();
        assertEquals(1, strategy.optimisticLockFailures());
        assertEquals(Map.of(), stillStored());
    }

    @Test
    void aGroupWhoseRouteFailedIsRecoveredAndConfirmedAfterwards() throws Exception {
        failuresLeft.set(1);
        MockEndpoint delivered = getMockEndpoint("mock:delivered");
        delivered.expectedBodiesReceived(parts("r1", "r2", "r3"));
        delivered.expectedHeaderReceived(Exchange.REDELIVERED, true);
        delivered.expectedHeaderReceived(Exchange.REDELIVERY_COUNTER, 1);

        for (int part = 1; part <= PARTS; part++) {
            template.sendBodyAndHeader("direct:failing", "r" + part, "id", "r");
        }

        delivered.assertIsSatisfied();
        getMockEndpoint("mock:attempts").expectedMessageCount(2);
        getMockEndpoint("mock:attempts").assertIsSatisfied();
        awaitNothingStored();
    }

    @Test
    void aGroupThatKeepsFailingGoesToTheDeadLetterUriAfterMaximumRedeliveries() throws Exception {
        failuresLeft.set(Integer.MAX_VALUE);
        MockEndpoint dead = getMockEndpoint("mock:dead");
        dead.expectedBodiesReceived(parts("d1", "d2", "d3"));
        dead.expectedHeaderReceived(Exchange.REDELIVERY_COUNTER, 2);
        MockEndpoint attempts = getMockEndpoint("mock:attempts");
        attempts.expectedMessageCount(3); // the first delivery and two redeliveries

        for (int part = 1; part <= PARTS; part++) {
            template.sendBodyAndHeader("direct:failing", "d" + part, "id", "d");
        }

        dead.assertIsSatisfied();
        attempts.assertIsSatisfied();
        getMockEndpoint("mock:delivered").expectedMessageCount(0);
        getMockEndpoint("mock:delivered").assertIsSatisfied();
        awaitNothingStored();
    }

    /** One group's body: the mock compares it with the received ArrayList by converting to the expected type. */
    private static Object parts(String... bodies) {
        return new ArrayList<>(List.of(bodies));
    }

    /** The repositories' keys still in the memory, with their values' sizes. */
    private Map<String, Integer> stillStored() throws Exception {
        Map<String, Integer> stored = new HashMap<>();
        for (RobustMemoryAggregationRepository repository : List.of(first, failing)) {
            for (String key : repository.getKeys()) {
                stored.put(repository.getRepositoryName() + " group " + key, 1);
            }
            for (String exchangeId : repository.scan(context)) {
                stored.put(repository.getRepositoryName() + " completed " + exchangeId, 1);
            }
        }
        return stored;
    }

    /** Confirming happens after the mock has the exchange, on the aggregator's thread: poll for it, bounded. */
    private void awaitNothingStored() throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!stillStored().isEmpty()) {
            assertTrue(System.nanoTime() < deadline, () -> "still stored: " + stillStoredQuietly());
            Thread.sleep(POLL_INTERVAL_MILLIS); // nothing to wait on: the confirming thread signals nobody
        }
    }

    private Map<String, Integer> stillStoredQuietly() {
        try {
            return stillStored();
        } catch (Exception e) {
            return Map.of("error", 0);
        }
    }
}
