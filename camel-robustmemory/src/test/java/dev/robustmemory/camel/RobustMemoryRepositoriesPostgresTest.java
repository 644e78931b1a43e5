package dev.robustmemory.camel;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import javax.sql.DataSource;

import dev.robustmemory.duckdb.lock.ProcessIdentity;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.OptimisticLockingAggregationRepository.OptimisticLockingException;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The aggregation and state repositories on PostgreSQL as a Camel user running them on several hosts would check
 * them: aggregators with completionSize and completionTimeout whose groups are rows of the prefixed tables, two
 * Camel contexts with pools of their own standing in for two hosts, optimistic-lock conflicts as Camel's aggregator
 * expects them, confirm, scan and recover (and what recovery does with a claim made on another host), states with a
 * time to live by the server's clock, and bad options refused at start saying why. What both backends share runs in
 * {@link RobustMemoryAggregationRepositoryPostgresTest}, {@link RobustMemoryStateRepositoryPostgresTest} and
 * {@link RobustMemoryAggregationRoutePostgresTest}.
 */
class RobustMemoryRepositoriesPostgresTest extends RobustMemoryTestSupport {

    private static final Duration PATIENCE = Duration.ofSeconds(15);
    private static final long POLL_MILLIS = 20;

    private final String prefix = EmbeddedPostgresServer.uniquePrefix("repos");

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        camelContext.getRegistry().bind("pg", EmbeddedPostgresServer.dataSource()); // the only one: autowired
        return camelContext;
    }

    @Override
    void configureMemory(RobustMemoryConfiguration configuration) {
        configuration.setBackend(RobustMemoryBackend.postgresql);
        configuration.setTablePrefix(prefix);
    }

    // ---- the aggregator on PostgreSQL

    /**
     * One group completes by size, another by timeout; while the second waits it is a row of the prefixed tables.
     * The repository names no data source: the aggregator gives it its Camel context, whose only DataSource is used.
     */
    @Test
    void anAggregatorCompletesGroupsBySizeAndByTimeoutAndItsGroupsAreRowsOfThePrefixedTables() throws Exception {
        RobustMemoryAggregationRepository orders = aggregationRepository("orders", null);
        Map<String, Long> completedAt = new ConcurrentHashMap<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:line")
                        .aggregate(header("orderId"), new PartsAggregationStrategy()).aggregationRepository(orders)
                        .optimisticLocking().completionSize(3).completionTimeout(400)
                        .completionTimeoutCheckerInterval(50)
                        .process(exchange -> completedAt.put(
                                exchange.getProperty(Exchange.AGGREGATED_CORRELATION_KEY, String.class),
                                System.nanoTime()))
                        .to("mock:orders");
            }
        });
        MockEndpoint completed = getMockEndpoint("mock:orders");
        completed.expectedMessageCount(2);

        template.sendBodyAndHeader("direct:line", "a1", "orderId", "A");
        template.sendBodyAndHeader("direct:line", "b1", "orderId", "B");
        template.sendBodyAndHeader("direct:line", "a2", "orderId", "A");
        // Before the send: the aggregator starts B's timeout while it handles b2, before the send returns.
        long lastOfB = System.nanoTime();
        template.sendBodyAndHeader("direct:line", "b2", "orderId", "B");
        template.sendBodyAndHeader("direct:line", "a3", "orderId", "A");
        assertTrue(rows("aggregation/orders/groups/").contains("aggregation/orders/groups/B"),
                () -> "B waits for its timeout as a row: " + rows("aggregation/"));

        completed.assertIsSatisfied();
        Map<String, Exchange> byKey = new HashMap<>();
        for (Exchange group : completed.getReceivedExchanges()) {
            byKey.put(group.getProperty(Exchange.AGGREGATED_CORRELATION_KEY, String.class), group);
        }
        assertEquals(List.of("a1", "a2", "a3"), byKey.get("A").getIn().getBody(List.class));
        assertEquals("size", byKey.get("A").getProperty(Exchange.AGGREGATED_COMPLETED_BY));
        assertEquals(List.of("b1", "b2"), byKey.get("B").getIn().getBody(List.class));
        assertEquals("timeout", byKey.get("B").getProperty(Exchange.AGGREGATED_COMPLETED_BY));
        long waitedMillis = (completedAt.get("B") - lastOfB) / 1_000_000;
        assertTrue(waitedMillis >= 350, () -> "B completed " + waitedMillis + " ms after its last part was sent");
        awaitNoRows("aggregation/orders/");
    }

    /**
     * Two Camel contexts, each with its own connection pool (as two hosts have), aggregate parts of the same groups
     * sent at once from 6 threads into one repository name: every group completes exactly once, with all its parts,
     * on one of them, and nothing is left in the tables.
     */
    @Test
    void twoHostsAggregatingTheSameGroupsCompleteEachOnceWithAllItsParts() throws Exception {
        int groups = 24;
        int parts = 4;
        Queue<String> deliveries = new ConcurrentLinkedQueue<>();
        PartsAggregationStrategy strategyA = new PartsAggregationStrategy();
        PartsAggregationStrategy strategyB = new PartsAggregationStrategy();
        try (CamelContext hostA = host("host-a", strategyA, parts, deliveries);
             CamelContext hostB = host("host-b", strategyB, parts, deliveries)) {
            ProducerTemplate toA = hostA.createProducerTemplate();
            ProducerTemplate toB = hostB.createProducerTemplate();
            ExecutorService senders = Executors.newFixedThreadPool(6);
            try {
                List<Future<?>> sent = new ArrayList<>();
                for (int group = 0; group < groups; group++) {
                    for (int part = 1; part <= parts; part++) {
                        ProducerTemplate to = (group + part) % 2 == 0 ? toA : toB;
                        String key = "g" + group;
                        String body = key + "-p" + part;
                        sent.add(senders.submit(() -> to.sendBodyAndHeader("direct:part", body, "id", key)));
                    }
                }
                for (Future<?> each : sent) {
                    each.get();
                }
            } finally {
                senders.shutdownNow();
            }
            awaitNoRows("aggregation/shared/");
        }

        Map<String, String> byGroup = new HashMap<>();
        int onA = 0;
        for (String delivery : deliveries) { // host key part,part,...
            String[] words = delivery.split(" ");
            String earlier = byGroup.put(words[1], delivery);
            assertNull(earlier, () -> words[1] + " completed twice: " + earlier + " and " + delivery);
            List<String> received = new ArrayList<>(List.of(words[2].split(",")));
            received.sort(null);
            List<String> expected = new ArrayList<>();
            for (int part = 1; part <= parts; part++) {
                expected.add(words[1] + "-p" + part);
            }
            assertEquals(expected, received, delivery);
            onA += words[0].equals("host-a") ? 1 : 0;
        }
        assertEquals(groups, byGroup.size(), "groups completed");
        System.out.println("two hosts: " + onA + " groups completed on host-a, " + (groups - onA) + " on host-b;"
                           + " optimistic lock conflicts retried: " + strategyA.optimisticLockFailures() + " on a, "
                           + strategyB.optimisticLockFailures() + " on b");
    }

    /**
     * Camel's aggregator tracks completionTimeout in the memory of its JVM: a group whose parts went to a host that
     * then stopped (or died) is not timed out by the other hosts' running aggregators; it is when an aggregator
     * (re)starts and reads the repository's groups, and an aggregator with completionInterval completes it on its
     * next interval, since that scans the repository's keys.
     */
    @Test
    void aGroupLeftByAStoppedHostIsTimedOutOnlyByAnAggregatorThatStartsOrScansByInterval() throws Exception {
        Queue<String> deliveries = new ConcurrentLinkedQueue<>();
        CamelContext hostB = host("host-b", new PartsAggregationStrategy(), 3, deliveries, 300, 0);
        hostB.createProducerTemplate().sendBodyAndHeader("direct:part", "left-p1", "id", "left");
        hostB.close(); // its aggregator's timeout map goes with it; the group stays in the tables
        assertEquals(List.of("aggregation/shared/groups/left"), rows("aggregation/shared/groups/"));

        try (CamelContext hostA = host("host-a", new PartsAggregationStrategy(), 3, deliveries, 300, 0)) {
            awaitDelivery(deliveries, "host-a left left-p1 timeout");
            System.out.println("a group left by a stopped host: timed out by the aggregator that started after it");
            deliveries.clear();
            // A running aggregator with completionTimeout only: a group left behind after it started stays.
            CamelContext hostC = host("host-c", new PartsAggregationStrategy(), 3, deliveries, 300, 0);
            hostC.createProducerTemplate().sendBodyAndHeader("direct:part", "later-p1", "id", "later");
            hostC.close();
            Thread.sleep(1200); // four timeouts: nothing to wait on, the point is that nothing happens
            assertEquals(List.of(), List.copyOf(deliveries), "not timed out by the running host-a");
            assertEquals(List.of("aggregation/shared/groups/later"), rows("aggregation/shared/groups/"));

            try (CamelContext hostD = host("host-d", new PartsAggregationStrategy(), 3, deliveries, 0, 300)) {
                awaitDelivery(deliveries, "later later-p1 interval");
            }
        }
        awaitNoRows("aggregation/shared/");
    }

    // ---- the repository's methods across two hosts

    /**
     * Two repository instances on the same tables through pools of their own: what one adds, the other reads at the
     * same version; a stale add or completion conflicts with the {@link OptimisticLockingException} Camel's
     * aggregator retries on, and writes nothing; a completion claimed by a started repository is left to it, and
     * recovered by the other once it stopped.
     */
    @Test
    void whatOneHostAddsTheOtherGetsAndStaleWritesConflictAsCamelExpects() throws Exception {
        RobustMemoryAggregationRepository hostA = aggregationRepository("orders", newPool());
        RobustMemoryAggregationRepository hostB = aggregationRepository("orders", newPool());
        hostA.setRecoveryInterval(100);
        hostB.setRecoveryInterval(100);
        hostA.start();
        hostB.start();
        try {
            assertNull(hostA.add(context, "o-1", null, exchange("a")));
            Exchange seenByB = hostB.get(context, "o-1");
            assertEquals("a", seenByB.getIn().getBody());
            Exchange seenByA = hostA.get(context, "o-1");
            assertEquals(version(seenByA), version(seenByB));

            seenByA.getIn().setBody("a+b");
            assertEquals(seenByA, hostA.add(context, "o-1", seenByA, seenByA));
            assertThrows(OptimisticLockingException.class, () -> hostB.add(context, "o-1", seenByB, exchange("a+c")));
            assertThrows(OptimisticLockingException.class, () -> hostB.add(context, "o-1", null, exchange("c")),
                    "a first part of a group the other host started");
            assertThrows(OptimisticLockingException.class, () -> hostB.remove(context, "o-1", seenByB));
            assertEquals("a+b", hostB.get(context, "o-1").getIn().getBody(), "nothing written by the conflicts");
            assertEquals(Set.of("o-1"), hostB.getKeys());

            Exchange complete = hostB.get(context, "o-1");
            hostB.remove(context, "o-1", complete);
            String id = complete.getExchangeId();
            assertThrows(OptimisticLockingException.class, () -> hostA.remove(context, "o-1", seenByA),
                    "completed once");
            assertNull(hostA.get(context, "o-1"));
            assertEquals(Set.of(), hostA.getKeys());
            assertEquals(Set.of(id), hostA.unconfirmedExchangeIds());
            assertEquals(Set.of(), hostA.scan(context), "claimed by the started host-b");
            assertNull(hostA.recover(context, id));

            hostB.stop();
            assertEquals(Set.of(id), hostA.scan(context), "host-b stopped without confirming");
            Exchange recovered = hostA.recover(context, id);
            assertEquals("a+b", recovered.getIn().getBody());
            assertEquals(id, recovered.getExchangeId());
            hostB.start();
            assertEquals(Set.of(), hostB.scan(context), "claimed by host-a now");
            assertTrue(hostA.confirmWithResult(context, id));
            assertEquals(Set.of(), hostB.unconfirmedExchangeIds());
            assertEquals(List.of(), rows("aggregation/orders/"));
        } finally {
            hostA.stop();
            hostB.stop();
        }
    }

    /**
     * What recovery does with a claim by its owner's host, pid, process start and boot: a claim naming another host
     * is never taken over (nothing here can tell whether that process still runs), however long it waits; one naming
     * this host and a process that is gone, or an earlier boot, is recovered at once.
     */
    @Test
    void aCompletionClaimedOnAnotherHostIsNeverRecoveredHereOneOfADeadProcessOfThisHostIs() throws Exception {
        RobustMemoryAggregationRepository repository = aggregationRepository("orders", null);
        repository.setRecoveryInterval(100);
        repository.setCamelContext(context);
        repository.start();
        try (Memory tables = PostgresBackend.open(prefix)) {
            Map<String, String> completedIds = new LinkedHashMap<>();
            for (String key : List.of("foreign", "dead-pid", "earlier-boot")) {
                repository.add(context, key, null, exchange(key + "-body"));
                Exchange complete = repository.get(context, key);
                repository.remove(context, key, complete);
                completedIds.put(key, complete.getExchangeId());
            }
            ProcessIdentity self = ProcessIdentity.current();
            claim(tables, completedIds.get("foreign"), 4242, self.host() + "-elsewhere", "another-boot");
            claim(tables, completedIds.get("dead-pid"), 99_999_999L, self.host(), self.bootId());
            claim(tables, completedIds.get("earlier-boot"), self.pid(), self.host(), self.bootId() + "-before");

            assertEquals(Set.of(completedIds.get("dead-pid"), completedIds.get("earlier-boot")),
                    repository.scan(context));
            assertNull(repository.recover(context, completedIds.get("foreign")));
            assertEquals("dead-pid-body", repository.recover(context, completedIds.get("dead-pid")).getIn().getBody());
            assertEquals("earlier-boot-body",
                    repository.recover(context, completedIds.get("earlier-boot")).getIn().getBody());

            repository.stop();
            Thread.sleep(300); // three recovery intervals: the foreign claim does not age into a recoverable one
            repository.start();
            assertEquals(Set.of(completedIds.get("dead-pid"), completedIds.get("earlier-boot")),
                    repository.scan(context), "this JVM's stopped instance's claims, not the foreign one");
            assertTrue(repository.unconfirmedExchangeIds().contains(completedIds.get("foreign")),
                    "left in the tables: visible to an operator, delivered by nobody");
            assertNull(repository.recover(context, completedIds.get("foreign")));
        } finally {
            repository.stop();
        }
    }

    // ---- the state repository on PostgreSQL

    /**
     * Two state repositories on the same tables through pools of their own: put, get, putIfAbsent, remove and keys
     * seen alike by both; a time to live that goes by the database server's clock; putIfAbsent raced from 8 threads
     * over both hosts won once per key, every loser told the winner's state.
     */
    @Test
    void theStateRepositoryIsSharedByTwoHostsWithTimeToLiveAndAtomicPutIfAbsent() throws Exception {
        RobustMemoryStateRepository hostA = stateRepository("offsets", newPool());
        RobustMemoryStateRepository hostB = stateRepository("offsets", newPool());
        hostA.start();
        hostB.start();
        try {
            hostA.setState("topic-1", "41");
            assertEquals("41", hostB.getState("topic-1"));
            hostB.setState("topic-1", "42");
            assertEquals("42", hostA.getState("topic-1"));
            assertEquals("42", hostA.putIfAbsent("topic-1", "0"));
            assertNull(hostB.putIfAbsent("topic-0", "7"));
            assertEquals(List.of("topic-0", "topic-1"), hostA.keys());
            assertTrue(hostA.remove("topic-0"));
            assertFalse(hostB.remove("topic-0"));
            hostB.setState("topic-1", null);
            assertNull(hostA.getState("topic-1"), "a null state removes it");
            assertEquals(List.of(), hostB.keys());

            long before = System.nanoTime();
            hostA.setState("session", "token-1", Duration.ofMillis(1200));
            Map<String, Long> row = row("state/offsets/session");
            assertEquals(1_200_000L, row.get("expires_at_micros") - row.get("updated_micros"),
                    "expires by the server's clock, 1200 ms after it wrote the state");
            assertEquals("token-1", hostB.putIfAbsent("session", "token-2", Duration.ofMinutes(1)), "not expired yet");
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (hostB.getState("session") != null) {
                assertTrue(System.nanoTime() < deadline, "the state never expired");
                Thread.sleep(POLL_MILLIS);
            }
            long expiredAfter = (System.nanoTime() - before) / 1_000_000;
            assertTrue(expiredAfter >= 1190, () -> "expired after " + expiredAfter + " ms");
            assertEquals(List.of(), hostA.keys(), "an expired state is no key");
            assertNull(hostA.putIfAbsent("session", "token-2"), "expired: absent");
            assertEquals("token-2", hostB.getState("session"));
            System.out.println("state with ttl 1200 ms gone for the other host after " + expiredAfter + " ms");

            int keys = 20;
            Map<String, Set<String>> winners = new ConcurrentHashMap<>();
            Map<String, Set<String>> told = new ConcurrentHashMap<>();
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService racers = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> raced = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    RobustMemoryStateRepository on = t % 2 == 0 ? hostA : hostB;
                    String racer = "racer-" + t;
                    raced.add(racers.submit(() -> {
                        go.await();
                        for (int k = 0; k < keys; k++) {
                            String existing = on.putIfAbsent("race-" + k, racer);
                            (existing == null ? winners : told).computeIfAbsent("race-" + k,
                                    key -> ConcurrentHashMap.newKeySet()).add(existing == null ? racer : existing);
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> each : raced) {
                    each.get();
                }
            } finally {
                racers.shutdownNow();
            }
            for (int k = 0; k < keys; k++) {
                String key = "race-" + k;
                assertEquals(1, winners.get(key).size(), () -> key + " won by " + winners.get(key));
                String winner = winners.get(key).iterator().next();
                assertEquals(Set.of(winner), told.get(key), () -> key + ": the losers were told the winner's state");
                assertEquals(winner, hostA.getState(key));
            }
        } finally {
            hostA.stop();
            hostB.stop();
        }
    }

    // ---- bad options

    /** Without a data source to autowire, each repository bean refuses to start, naming the option to set. */
    @Test
    void withoutADataSourceEachRepositoryRefusesToStartSayingWhichOptionToSet() throws Exception {
        for (Supplier<RepositoryBeanSupport> kind : List.<Supplier<RepositoryBeanSupport>>of(
                RobustMemoryAggregationRepository::new, RobustMemoryStateRepository::new,
                RobustMemoryIdempotentRepository::new)) {
            RepositoryBeanSupport outsideCamel = kind.get();
            outsideCamel.setBackend(RobustMemoryBackend.postgresql);
            String alone = causes(assertThrows(RuntimeException.class, outsideCamel::start));
            assertTrue(alone.contains("needs the option dataSource") && alone.contains("no Camel context"), alone);

            try (CamelContext empty = new DefaultCamelContext()) {
                empty.start();
                RepositoryBeanSupport inEmpty = kind.get();
                inEmpty.setBackend(RobustMemoryBackend.postgresql);
                inEmpty.setCamelContext(empty);
                String none = causes(assertThrows(RuntimeException.class, inEmpty::start));
                assertTrue(none.contains("needs the option dataSource") && none.contains("0 DataSource beans"), none);
            }
        }

        // The aggregator of a route in a context whose registry has none: the route does not start, saying why.
        try (CamelContext empty = new DefaultCamelContext()) {
            RobustMemoryAggregationRepository repository = new RobustMemoryAggregationRepository();
            repository.setBackend(RobustMemoryBackend.postgresql);
            empty.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:in").aggregate(header("id"), new PartsAggregationStrategy())
                            .aggregationRepository(repository).optimisticLocking().completionSize(2).to("mock:out");
                }
            });
            String refused = causes(assertThrows(Exception.class, empty::start));
            assertTrue(refused.contains("needs the option dataSource") && refused.contains("0 DataSource beans"),
                    refused);
        }
    }

    @Test
    void aBadTablePrefixIsRefusedAtStartSayingWhatAPrefixMayBe() {
        for (Supplier<RepositoryBeanSupport> kind : List.<Supplier<RepositoryBeanSupport>>of(
                RobustMemoryAggregationRepository::new, RobustMemoryStateRepository::new,
                RobustMemoryIdempotentRepository::new)) {
            for (String bad : List.of("Robust-Memory", "1st_", "x".repeat(42), "")) {
                RepositoryBeanSupport repository = kind.get();
                repository.setBackend(RobustMemoryBackend.postgresql);
                repository.setDataSource(EmbeddedPostgresServer.dataSource());
                repository.setTablePrefix(bad);
                String refused = causes(assertThrows(IllegalArgumentException.class, repository::start));
                assertTrue(refused.contains("table prefix must be lower-case letters, digits and '_'")
                           && refused.contains("'" + bad + "'"), refused);
                assertFalse(((ServiceSupport) repository).isStarted());
            }
        }
    }

    /**
     * A data source that cannot be reached does not fail the start (opening reaches no database, as on DuckDB it
     * takes no lock): the first call fails, saying it was PostgreSQL that could not be reached.
     */
    @Test
    void anUnreachableServerFailsTheFirstCallNotTheStart() {
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setURL("jdbc:postgresql://127.0.0.1:1/none");
        nowhere.setConnectTimeout(1);
        RobustMemoryStateRepository repository = stateRepository("offsets", nowhere);
        repository.start();
        try {
            RuntimeCamelException failed = assertThrows(RuntimeCamelException.class,
                    () -> repository.getState("topic-0"));
            assertTrue(failed.getMessage().contains("State repository 'offsets' could not read the state of"
                                                    + " 'topic-0'") && failed.getMessage().contains("PostgreSQL"),
                    failed.getMessage());
        } finally {
            repository.stop();
        }
    }

    // ---- helpers

    /** A Camel context standing in for a host: its own pool, an aggregator on repository 'shared'. */
    private CamelContext host(String name, PartsAggregationStrategy strategy, int completionSize,
                              Queue<String> deliveries) throws Exception {
        return host(name, strategy, completionSize, deliveries, 0, 0);
    }

    private CamelContext host(String name, PartsAggregationStrategy strategy, int completionSize,
                              Queue<String> deliveries, long completionTimeout, long completionInterval)
            throws Exception {
        CamelContext host = new DefaultCamelContext();
        host.getRegistry().bind("pool", newPool()); // its only DataSource: autowired into the repository
        RobustMemoryAggregationRepository repository = aggregationRepository("shared", null);
        repository.setRecoveryInterval(200);
        host.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                var aggregate = from("direct:part").routeId("aggregate-" + name)
                        .aggregate(header("id"), strategy).aggregationRepository(repository).optimisticLocking()
                        .completionSize(completionSize);
                if (completionTimeout > 0) {
                    aggregate.completionTimeout(completionTimeout).completionTimeoutCheckerInterval(50);
                }
                if (completionInterval > 0) {
                    aggregate.completionInterval(completionInterval);
                }
                aggregate.process(exchange -> {
                    List<?> parts = exchange.getIn().getBody(List.class);
                    deliveries.add(name + " " + exchange.getProperty(Exchange.AGGREGATED_CORRELATION_KEY)
                                   + " " + String.join(",", parts.stream().map(String::valueOf).toList()) + " "
                                   + exchange.getProperty(Exchange.AGGREGATED_COMPLETED_BY));
                });
            }
        });
        host.start();
        return host;
    }

    private void awaitDelivery(Queue<String> deliveries, String ending) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (deliveries.stream().noneMatch(delivery -> delivery.endsWith(ending))) {
            assertTrue(System.nanoTime() < deadline, () -> "no delivery ending '" + ending + "': " + deliveries);
            Thread.sleep(POLL_MILLIS);
        }
    }

    private RobustMemoryAggregationRepository aggregationRepository(String name, DataSource dataSource) {
        RobustMemoryAggregationRepository repository = new RobustMemoryAggregationRepository();
        repository.setBackend(RobustMemoryBackend.postgresql);
        repository.setDataSource(dataSource);
        repository.setTablePrefix(prefix);
        repository.setRepositoryName(name);
        return repository;
    }

    private RobustMemoryStateRepository stateRepository(String name, DataSource dataSource) {
        RobustMemoryStateRepository repository = new RobustMemoryStateRepository();
        repository.setBackend(RobustMemoryBackend.postgresql);
        repository.setDataSource(dataSource);
        repository.setTablePrefix(prefix);
        repository.setName(name);
        return repository;
    }

    /** A pool of the host's own: its connections are not the test's. */
    private static DataSource newPool() {
        PGSimpleDataSource pool = new PGSimpleDataSource();
        pool.setURL(EmbeddedPostgresServer.jdbcUrl());
        return pool;
    }

    private Exchange exchange(Object body) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getIn().setBody(body);
        return exchange;
    }

    private static long version(Exchange exchange) {
        return exchange.getProperty(RobustMemoryAggregationRepository.VERSION_PROPERTY, Long.class);
    }

    /** Rewrites the claim of a completed exchange, as a process with that identity would have written it. */
    private static void claim(Memory tables, String exchangeId, long pid, String host, String bootId)
            throws Exception {
        JsonObject owner = new JsonObject();
        owner.put("pid", pid);
        owner.put("processStart", "2026-01-01T00:00:00Z");
        owner.put("host", host);
        owner.put("bootId", bootId);
        owner.put("instance", "instance-of-" + host + "-" + pid);
        String claimKey = "aggregation/orders/claims/" + exchangeId;
        tables.execute(Duration.ofSeconds(10), session -> session.store(claimKey,
                StoredValue.json(Jsoner.serialize(owner)), OptionalLong.empty()));
    }

    /** The keys of the entries table that start with this text, in order. */
    private List<String> rows(String keyPrefix) {
        List<String> keys = new ArrayList<>();
        try (Connection connection = EmbeddedPostgresServer.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT key FROM " + prefix + "entries WHERE starts_with(key, ?) ORDER BY key")) {
            select.setString(1, keyPrefix);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    keys.add(row.getString(1));
                }
            }
        } catch (Exception e) {
            throw new AssertionError("cannot read " + prefix + "entries", e);
        }
        return keys;
    }

    private Map<String, Long> row(String key) throws Exception {
        try (Connection connection = EmbeddedPostgresServer.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT expires_at_micros, updated_micros FROM " + prefix + "entries WHERE key = ?")) {
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                assertTrue(row.next(), () -> key + " is a row of " + prefix + "entries");
                return Map.of("expires_at_micros", row.getLong(1), "updated_micros", row.getLong(2));
            }
        }
    }

    /** Confirmation follows delivery on the aggregator's thread: poll the tables, bounded, for nothing left. */
    private void awaitNoRows(String keyPrefix) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        List<String> left;
        while (!(left = rows(keyPrefix)).isEmpty()) {
            List<String> shown = left;
            assertTrue(System.nanoTime() < deadline, () -> "still stored: " + shown);
            Thread.sleep(POLL_MILLIS);
        }
    }

    private static String causes(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            text.append(cause.getMessage()).append(" / ");
        }
        return text.toString();
    }
}
