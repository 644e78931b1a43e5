package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import dev.robustmemory.duckdb.lock.LockGrant;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.EXPECTED_VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The Micrometer meters after known work, and which registry they go to. */
class RobustMemoryMicrometerTest extends RobustMemoryTestSupport {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        camelContext.getRegistry().bind("meters", meters); // the only MeterRegistry bound: it is used
        return camelContext;
    }

    @Test
    void metersCountKnownWork() throws Exception {
        for (int i = 0; i < 3; i++) {
            call("robustmemory:k", "value " + i);
        }
        send("robustmemory:k", "stale", EXPECTED_VERSION, 1L); // a version conflict: the lock was granted
        try (LockGrant held = holdLockElsewhere("robustmemory:k?lockTimeout=0")) {
            send("robustmemory:k?lockTimeout=0", "timed out");
        }
        try (UnusableLockPath unusable = new UnusableLockPath(Path.of(database() + ".lock"))) {
            send("robustmemory:k", "failed");
        }

        assertEquals(4, find("robustmemory.lock.acquisitions").functionCounter().count());
        assertEquals(1, find("robustmemory.lock.timeouts").functionCounter().count());
        assertEquals(1, find("robustmemory.lock.failures").functionCounter().count());
        assertEquals(0, find("robustmemory.lock.orphans").functionCounter().count());
        Timer wait = find("robustmemory.lock.wait").timer();
        Timer hold = find("robustmemory.lock.hold").timer();
        assertEquals(3, wait.count(), "waits of the completed operations");
        assertEquals(3, hold.count());
        assertTrue(hold.totalTime(TimeUnit.NANOSECONDS) > 0);
        assertEquals(3, wait.takeSnapshot().percentileValues().length, "percentiles 0.5, 0.95, 0.99");
        assertEquals(3, operations("store", "success").count());
        assertEquals(1, operations("store", "version-conflict").count());
        assertEquals(1, operations("store", "timeout").count());
        assertEquals(1, operations("store", "failure").count());
        assertEquals(0, find("robustmemory.lock.waiters").gauge().value());
    }

    @Test
    void theWaitersGaugeCountsThreadsOfThisJvmWaitingNow() throws Exception {
        String uri = "robustmemory:k?lockTimeout=30s";
        call(uri, "starts the producer, which registers the meters");
        CompletableFuture<Object> waiting;
        try (LockGrant held = holdLockElsewhere()) {
            waiting = template.asyncRequestBody(uri, "waits for the holder");
            awaitCondition(() -> find("robustmemory.lock.waiters").gauge().value() == 1);
        }
        waiting.get(30, TimeUnit.SECONDS);
        assertEquals(0, find("robustmemory.lock.waiters").gauge().value());
        assertEquals(2, operations("store", "success").count());
    }

    @Test
    void withoutMonitoringNoMeterIsRegistered() {
        call("robustmemory:k?monitorLocks=false", "v");
        call("robustmemory:k?monitorLocks=false&operation=load", null);

        assertTrue(meters.getMeters().stream().noneMatch(meter -> meter.getId().getName().startsWith("robustmemory")),
                () -> meters.getMetersAsString());
    }

    // The lookup order is camel-micrometer's (MicrometerUtils): each test below fails if one step is skipped or
    // two are swapped, because the registry that a wrong order picks is bound too.

    @Test
    void theComponentOptionWinsAndMetersAreRemovedWhenTheComponentStops() throws Exception {
        SimpleMeterRegistry configured = new SimpleMeterRegistry();
        CompositeMeterRegistry named = new CompositeMeterRegistry();
        try (CamelContext other = contextWith(Map.of("metricsRegistry", named))) {
            other.getComponent("robustmemory", RobustMemoryComponent.class).setMeterRegistry(configured);
            storeOnce(other);
            assertEquals(1, configured.find("robustmemory.lock.acquisitions").functionCounter().count());
            assertNoMeters(named);
            other.stop();
            assertNull(configured.find("robustmemory.lock.acquisitions").functionCounter());
        }
    }

    @Test
    void firstACompositeRegistryNamedMetricsRegistry() throws Exception {
        CompositeMeterRegistry named = new CompositeMeterRegistry();
        assertChosen(named, Map.of("metricsRegistry", named, "otherComposite", new CompositeMeterRegistry(),
                "plain", new SimpleMeterRegistry()));
    }

    @Test
    void thenTheOnlyCompositeRegistryEvenOverAPlainOneNamedMetricsRegistry() throws Exception {
        CompositeMeterRegistry only = new CompositeMeterRegistry();
        assertChosen(only, Map.of("composite", only, "metricsRegistry", new SimpleMeterRegistry()));
    }

    @Test
    void thenARegistryNamedMetricsRegistry() throws Exception {
        SimpleMeterRegistry named = new SimpleMeterRegistry();
        assertChosen(named, Map.of("metricsRegistry", named, "first", new CompositeMeterRegistry(),
                "second", new CompositeMeterRegistry(), "plain", new SimpleMeterRegistry()));
    }

    @Test
    void thenTheOnlyRegistry() throws Exception {
        SimpleMeterRegistry only = new SimpleMeterRegistry();
        assertChosen(only, Map.of("meters", only));
    }

    @Test
    void amongSeveralUnnamedPlainRegistriesNoneIsGuessed() throws Exception {
        SimpleMeterRegistry first = new SimpleMeterRegistry();
        SimpleMeterRegistry second = new SimpleMeterRegistry();
        try (CamelContext other = contextWith(Map.of("first", first, "second", second))) {
            storeOnce(other);
            assertNoMeters(first);
            assertNoMeters(second);
            assertCreatedAndBound(other);
        }
    }

    @Test
    void withoutAnyRegistryANewOneIsBoundAsMetricsRegistryForCamelMicrometerToShare() throws Exception {
        try (CamelContext other = contextWith(Map.of())) {
            storeOnce(other);
            MeterRegistry created = assertCreatedAndBound(other);
            other.stop();
            assertNull(created.find("robustmemory.lock.acquisitions").functionCounter(),
                    "removed when the component stops");
        }
    }

    private void assertChosen(MeterRegistry expected, Map<String, MeterRegistry> bound) throws Exception {
        try (CamelContext other = contextWith(bound)) {
            storeOnce(other);
            assertNotNull(expected.find("robustmemory.lock.acquisitions").functionCounter(),
                    () -> "not in the expected registry; bound: " + bound.keySet());
            bound.values().stream().filter(candidate -> candidate != expected)
                    .forEach(RobustMemoryMicrometerTest::assertNoMeters);
        }
    }

    private static MeterRegistry assertCreatedAndBound(CamelContext other) {
        MeterRegistry created = other.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        assertInstanceOf(SimpleMeterRegistry.class, created, "created and bound as metricsRegistry");
        assertNotNull(created.find("robustmemory.lock.acquisitions").functionCounter());
        return created;
    }

    /** A composite registry lists the meters added to it even without member registries. */
    private static void assertNoMeters(MeterRegistry registry) {
        assertTrue(registry.getMeters().stream().noneMatch(meter -> meter.getId().getName().startsWith("robustmemory")),
                () -> "unexpected robustmemory meters in " + registry);
    }

    private Search find(String name) {
        Search search = meters.find(name).tag("camelContext", context.getName())
                .tag("database", database().toString());
        assertNotNull(search.meter(), () -> name + " not registered: " + meters.getMetersAsString());
        return search;
    }

    private Timer operations(String operation, String outcome) {
        return find("robustmemory.operations").tag("operation", operation).tag("outcome", outcome).timer();
    }

    /** A context of its own with the given registries bound under the given names. */
    private CamelContext contextWith(Map<String, MeterRegistry> registries) {
        CamelContext other = new DefaultCamelContext();
        registries.forEach((name, registry) -> other.getRegistry().bind(name, registry));
        other.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration()
                .setDatabase(dir.resolve("other.duckdb").toString());
        return other;
    }

    private static void storeOnce(CamelContext other) {
        other.start();
        ProducerTemplate producer = other.createProducerTemplate();
        producer.sendBody("robustmemory:k", "v");
    }

    /** Waits for a state that no event announces (a gauge), checking it at short intervals. */
    private static void awaitCondition(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("condition not reached within 30 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
