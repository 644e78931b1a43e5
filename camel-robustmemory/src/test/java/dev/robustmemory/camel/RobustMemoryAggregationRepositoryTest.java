package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.Memory;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.OptimisticLockingAggregationRepository.OptimisticLockingException;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every method of the repository on a real database file, called as Camel's aggregator calls them. Part of the
 * contract suite: {@link RobustMemoryAggregationRepositoryPostgresTest} runs it on PostgreSQL tables through
 * {@link #configureRepository} and {@link #openMemory}.
 */
class RobustMemoryAggregationRepositoryTest {

    @TempDir
    Path dir;

    private CamelContext camel;

    @BeforeEach
    void startCamel() {
        camel = new DefaultCamelContext();
        camel.start();
    }

    @AfterEach
    void stopCamel() {
        camel.stop();
    }

    /** Where the repositories of a test are: the DuckDB file here; all the repositories of one test share it. */
    void configureRepository(RepositoryBeanSupport repository) {
        repository.setDatabase(dir.resolve("groups.duckdb").toString());
    }

    /** The memory the repositories are in, opened as another process would. */
    Memory openMemory() throws Exception {
        return DuckDbMemory.open(StoreSettings.of(dir.resolve("groups.duckdb")));
    }

    private RobustMemoryAggregationRepository repository(String name) {
        RobustMemoryAggregationRepository repository = new RobustMemoryAggregationRepository();
        repository.setRepositoryName(name);
        configureRepository(repository);
        return repository;
    }

    private RobustMemoryAggregationRepository started(String name) {
        RobustMemoryAggregationRepository repository = repository(name);
        repository.start();
        return repository;
    }

    private Exchange exchange(Object body) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setBody(body);
        return exchange;
    }

    @Test
    void aGroupIsAddedReadAndReplacedByVersion() {
        RobustMemoryAggregationRepository repository = started("orders");
        assertNull(repository.get(camel, "order-1"));

        Exchange first = exchange("a");
        assertNull(repository.add(camel, "order-1", null, first));
        Exchange read = repository.get(camel, "order-1");
        assertEquals("a", read.getIn().getBody());
        assertEquals(first.getExchangeId(), read.getExchangeId());
        long version = read.getProperty(RobustMemoryAggregationRepository.VERSION_PROPERTY, Long.class);
        assertEquals(first.getProperty(RobustMemoryAggregationRepository.VERSION_PROPERTY), version);

        read.getIn().setBody("a+b");
        assertEquals(read, repository.add(camel, "order-1", read, read));
        assertEquals("a+b", repository.get(camel, "order-1").getIn().getBody());
        assertTrue(read.getProperty(RobustMemoryAggregationRepository.VERSION_PROPERTY, Long.class) > version);
        assertEquals(Set.of("order-1"), repository.getKeys());
        repository.stop();
    }

    @Test
    void aStaleAddOrCompletionConflictsAndWritesNothing() {
        RobustMemoryAggregationRepository repository = started("orders");
        repository.add(camel, "order-1", null, exchange("a"));
        Exchange seenByOne = repository.get(camel, "order-1");
        Exchange seenByTwo = repository.get(camel, "order-1");
        repository.add(camel, "order-1", seenByOne, exchange("a+b"));

        assertThrows(OptimisticLockingException.class,
                () -> repository.add(camel, "order-1", seenByTwo, exchange("a+c")));
        assertThrows(OptimisticLockingException.class, () -> repository.add(camel, "order-1", null, exchange("c")),
                "a first part when the group exists");
        assertThrows(OptimisticLockingException.class, () -> repository.remove(camel, "order-1", seenByTwo));
        assertEquals("a+b", repository.get(camel, "order-1").getIn().getBody());
        assertEquals(Set.of(), repository.scan(camel), "nothing completed");
        repository.stop();
    }

    /**
     * A completed group stays until confirmed. Right after completing it, its own repository does not offer it for
     * recovery (the aggregator has not marked it in progress yet); restarted, the repository is another instance
     * and may recover it.
     */
    @Test
    void aCompletedGroupIsKeptUntilConfirmedAndCanBeRecovered() {
        RobustMemoryAggregationRepository repository = repository("orders");
        repository.setRecoveryInterval(60_000);
        repository.start();
        repository.add(camel, "order-1", null, exchange("a"));
        Exchange complete = repository.get(camel, "order-1");
        complete.setProperty(Exchange.AGGREGATED_CORRELATION_KEY, "order-1");

        repository.remove(camel, "order-1", complete);

        assertNull(repository.get(camel, "order-1"));
        assertEquals(Set.of(), repository.getKeys());
        assertEquals(Set.of(), repository.scan(camel), "just completed here: not offered here yet");
        assertNull(repository.recover(camel, complete.getExchangeId()));
        repository.stop();
        repository.start();
        assertEquals(Set.of(complete.getExchangeId()), repository.scan(camel));
        Exchange recovered = repository.recover(camel, complete.getExchangeId());
        assertEquals("a", recovered.getIn().getBody());
        assertEquals("order-1", recovered.getProperty(Exchange.AGGREGATED_CORRELATION_KEY));
        assertEquals(Set.of(complete.getExchangeId()), repository.scan(camel), "recovered, not yet confirmed");

        assertTrue(repository.confirmWithResult(camel, complete.getExchangeId()));
        assertEquals(Set.of(), repository.scan(camel));
        assertNull(repository.recover(camel, complete.getExchangeId()), "confirmed: nothing to recover");
        repository.stop();
    }

    /**
     * A completion claimed by another started repository of the same name is left to it (no duplicate while it
     * runs); once it stops, another repository may take it over, and then the first no longer may.
     */
    @Test
    void aCompletionOfAStartedRepositoryIsLeftToIt() {
        RobustMemoryAggregationRepository owner = started("orders");
        RobustMemoryAggregationRepository other = started("orders");
        owner.add(camel, "order-1", null, exchange("a"));
        Exchange complete = owner.get(camel, "order-1");
        owner.remove(camel, "order-1", complete);
        String id = complete.getExchangeId();

        assertEquals(Set.of(), other.scan(camel));
        assertNull(other.recover(camel, id));

        owner.stop();
        assertEquals(Set.of(id), other.scan(camel));
        assertNotNull(other.recover(camel, id));
        owner.start();
        assertEquals(Set.of(), owner.scan(camel), "claimed by the other repository now");
        assertEquals(Set.of(id), other.scan(camel));
        owner.stop();
        other.stop();
    }

    @Test
    void repositoriesOfDifferentNamesShareADatabaseWithoutSeeingEachOther() throws Exception {
        RobustMemoryAggregationRepository orders = started("orders");
        RobustMemoryAggregationRepository payments = started("payments");
        orders.add(camel, "1", null, exchange("order"));
        payments.add(camel, "1", null, exchange("payment"));

        assertEquals("order", orders.get(camel, "1").getIn().getBody());
        assertEquals("payment", payments.get(camel, "1").getIn().getBody());
        try (Memory store = openMemory()) {
            assertEquals(List.of("aggregation/orders/groups/1", "aggregation/payments/groups/1"),
                    store.execute(Duration.ofSeconds(5), session -> session.keys("aggregation/")).result());
        }
        orders.stop();
        payments.stop();
    }

    @Test
    void anExchangeOverMaxValueSizeIsRefusedBeforeAnythingIsWritten() {
        RobustMemoryAggregationRepository repository = repository("orders");
        repository.setMaxValueSize(1000);
        repository.start();

        InvalidEntryException refused = assertThrows(InvalidEntryException.class,
                () -> repository.add(camel, "order-1", null, exchange("x".repeat(1000))));

        assertTrue(refused.getMessage().contains("'order-1'") && refused.getMessage().contains("maxValueSize"),
                refused.getMessage());
        assertNull(repository.get(camel, "order-1"));
        repository.stop();
    }

    @Test
    void anUnsupportedBodyIsRefused() {
        RobustMemoryAggregationRepository repository = started("orders");

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> repository.add(camel, "order-1", null, exchange(new Object())));

        assertTrue(refused.getMessage().contains("java.lang.Object"), refused.getMessage());
        repository.stop();
    }

    @Test
    void refusesBadSettingsWhenStartingAndUseBeforeStart() {
        RobustMemoryAggregationRepository slashed = repository("a/b");
        assertTrue(assertThrows(IllegalArgumentException.class, slashed::start).getMessage().contains("'a/b'"));

        RobustMemoryAggregationRepository malformed = repository("x");
        malformed.setLockTimeout("10x");
        assertTrue(assertThrows(IllegalArgumentException.class, malformed::start).getMessage().contains("lockTimeout"));

        RobustMemoryAggregationRepository noInterval = repository("x");
        noInterval.setRecoveryInterval(0);
        assertTrue(assertThrows(IllegalArgumentException.class, noInterval::start).getMessage()
                .contains("recoveryInterval"));

        RobustMemoryAggregationRepository notStarted = repository("x");
        assertThrows(IllegalStateException.class, () -> notStarted.get(camel, "order-1"));
    }
}
