package dev.robustmemory.camel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.ProcessIdentity;
import dev.robustmemory.memory.StoreException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory's readiness check in camel-health's real registry, as Camel's health endpoints call it: through
 * {@link HealthCheckHelper}, with Camel's switches set the way camel-main sets them from {@code camel.health.*}.
 */
class RobustMemoryHealthCheckTest extends RobustMemoryTestSupport {

    @Test
    void likeEveryProducerCheckItIsOffUntilCamelsProducerChecksAreTurnedOn() {
        call("robustmemory:k", "v");
        assertEquals(Optional.empty(), result(), "camel.health.producersEnabled is false by default");

        enableProducerChecks();
        HealthCheck.Result result = result().orElseThrow();
        assertEquals(HealthCheck.State.UP, result.getState());
        assertEquals("camel", result.getCheck().getGroup());
        assertTrue(result.getCheck().isReadiness() && !result.getCheck().isLiveness());
        assertTrue(HealthCheckHelper.invokeLiveness(context).stream().noneMatch(this::isOurs), "readiness only");
    }

    @Test
    void oneCheckPerMemoryForAsLongAsOneOfItsProducersRuns() throws Exception {
        enableProducerChecks();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:a").routeId("a").to("robustmemory:a");
                from("direct:b").routeId("b").to("robustmemory:b");
                from("direct:other").routeId("other").to("robustmemory:c?database=" + dir.resolve("other.duckdb"));
            }
        });
        assertEquals(1, results().stream().filter(this::isOurs).count(), "started producers offer it, once");
        assertTrue(results().stream().anyMatch(result -> result.getCheck().getId().endsWith("other.duckdb")));

        context.getRouteController().stopRoute("a");
        assertTrue(result().isPresent(), "route b still uses the memory");
        context.getRouteController().stopRoute("b");
        assertEquals(Optional.empty(), result(), "no producer of the memory runs");
    }

    @Test
    void onceALockPolicyUsesTheMemorysNamedLocksTheDetailsCountThem() throws Exception {
        enableProducerChecks();
        call("robustmemory:k", "v");
        assertFalse(result().orElseThrow().getDetails().containsKey("namedlocks.grants"), "no policy yet");

        context.getRegistry().bind("orderLock", new RobustMemoryLockPolicy(database().toString(), "${header.order}"));
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:locked").policy("orderLock").to("robustmemory:k").end();
            }
        });
        template.sendBodyAndHeader("direct:locked", "v2", "order", "4711");
        template.sendBodyAndHeader("direct:locked", "v3", "order", "4712");

        Map<String, Object> details = result().orElseThrow().getDetails();
        assertEquals(2L, details.get("namedlocks.grants"), details::toString);
        assertEquals(0L, details.get("namedlocks.timeouts"));
        assertEquals(0, details.get("namedlocks.held"));
        assertEquals(0, details.get("namedlocks.waiting"));
    }

    @Test
    void theExcludePatternHidesItAsItHidesCamelsOwnProducerChecks() {
        enableProducerChecks();
        call("robustmemory:k", "v");
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);

        registry.setExcludePattern("robustmemory*"); // camel.health.exclude-pattern, matched without "producer:"
        assertEquals(Optional.empty(), result());
        registry.setExcludePattern("producer:robustmemory-" + database());
        assertEquals(Optional.empty(), result());
        registry.setExcludePattern("kafka*");
        assertTrue(result().isPresent());
    }

    @Test
    void theComponentsProducerSwitchDisablesIt() {
        enableProducerChecks();
        context.getComponent("robustmemory", RobustMemoryComponent.class).setHealthCheckProducerEnabled(false);
        call("robustmemory:k", "v");

        HealthCheck.Result result = result().orElseThrow();
        assertEquals(HealthCheck.State.UNKNOWN, result.getState(), "as Camel reports a disabled check");
        assertEquals(false, result.getDetails().get(HealthCheck.CHECK_ENABLED));
    }

    @Test
    void aConsumerHasCamelsPollingConsumerCheckSwitchedByTheComponentsConsumerOption() throws Exception {
        RouteBuilder events = new RouteBuilder() {
            @Override
            public void configure() {
                from("robustmemory:lock-events?initialDelay=0&delay=10").routeId("events").to("mock:events");
            }
        };
        HealthCheckHelper.getHealthCheckRepository(context, "consumers"); // camel-main registers it at start-up
        context.addRoutes(events);
        HealthCheck.Result polling = consumerResult("events");
        assertNotEquals(false, polling.getDetails().get(HealthCheck.CHECK_ENABLED),
                () -> polling.getDetails().toString());

        context.getComponent("robustmemory", RobustMemoryComponent.class).setHealthCheckConsumerEnabled(false);
        context.getRouteController().stopRoute("events");
        context.removeRoute("events");
        context.addRoutes(events);
        assertEquals(false, consumerResult("events").getDetails().get(HealthCheck.CHECK_ENABLED));
    }

    @Test
    void withCamelHealthTurnedOffProducersStillWork() {
        HealthCheckRegistry.get(context).setEnabled(false); // camel.health.enabled=false
        call("robustmemory:k", "stored without a check");
        assertEquals("stored without a check", call("robustmemory:k?operation=load", null).getMessage().getBody());
        assertTrue(HealthCheckHelper.invokeReadiness(context).isEmpty());
    }

    @Test
    void camelKeepsTheChecksCounters() throws Exception {
        enableProducerChecks();
        call("robustmemory:k", "v");
        result();
        HealthCheck.Result second = result().orElseThrow();
        assertEquals(2, second.getDetails().get(HealthCheck.INVOCATION_COUNT));
        assertEquals(2, second.getDetails().get(HealthCheck.SUCCESS_COUNT));
        assertEquals(0, second.getDetails().get(HealthCheck.FAILURE_COUNT));

        try (UnusableLockPath unusable = new UnusableLockPath(Path.of(database() + ".lock"))) {
            HealthCheck.Result down = result().orElseThrow();
            assertEquals(HealthCheck.State.DOWN, down.getState());
            assertEquals(1, down.getDetails().get(HealthCheck.FAILURE_COUNT));
            assertEquals(0, down.getDetails().get(HealthCheck.SUCCESS_COUNT));
        }
    }

    @Test
    void aFreeMemoryIsUp() throws Exception {
        enableProducerChecks();
        call("robustmemory:k", "v");
        holdLockElsewhere().close(); // the lease hands over to the waiter, which releases: the lock is free now
        HealthCheck.Result result = result().orElseThrow();

        assertEquals(HealthCheck.State.UP, result.getState());
        assertEquals(database().toString(), result.getDetails().get("database"));
        assertEquals("RELEASED", result.getDetails().get("lock.state"));
        assertEquals(1L, result.getDetails().get("lock.acquisitions"));
    }

    @Test
    void aHeldLockIsNotDownAndTheDetailsNameTheHolder() throws Exception {
        enableProducerChecks();
        call("robustmemory:k", "v");
        try (LockGrant held = holdLockElsewhere()) {
            HealthCheck.Result result = result().orElseThrow();

            assertEquals(HealthCheck.State.UP, result.getState());
            assertEquals("HELD", result.getDetails().get("lock.state"));
            assertEquals(ProcessIdentity.current().pid(), result.getDetails().get("lock.holder.pid"));
            assertEquals(0, result.getDetails().get("lock.waiters"));
        }
    }

    @Test
    void anUnusableLockPathIsDownUntilTheMemoryWorksAgain() throws Exception {
        enableProducerChecks();
        call("robustmemory:k", "v");
        try (UnusableLockPath unusable = new UnusableLockPath(Path.of(database() + ".lock"))) {
            HealthCheck.Result result = result().orElseThrow();
            assertEquals(HealthCheck.State.DOWN, result.getState());
            assertTrue(result.getMessage().orElseThrow().contains("is a directory"), result.getMessage()::orElseThrow);

            assertNotNull(send("robustmemory:k", "refused").getException());
        }
        HealthCheck.Result afterFailure = result().orElseThrow();
        assertEquals(HealthCheck.State.DOWN, afterFailure.getState(), "the latest use failed");
        assertNotNull(afterFailure.getDetails().get("last.error"));

        call("robustmemory:k", "works again");
        assertEquals(HealthCheck.State.UP, result().orElseThrow().getState());
    }

    @Test
    void aDatabaseThatCannotBeOpenedIsDown() throws Exception {
        enableProducerChecks();
        Path notADatabase = Files.writeString(dir.resolve("notes.duckdb"), "plain text, not a DuckDB database\n");
        Exception refused = send("robustmemory:k?database=" + notADatabase, "v").getException();
        assertTrue(causes(refused).anyMatch(StoreException.class::isInstance), String.valueOf(refused));
        assertTrue(refused.getMessage().contains("is not a DuckDB database"), refused::getMessage);

        HealthCheck.Result result = results().stream()
                .filter(candidate -> candidate.getCheck().getId().endsWith("notes.duckdb")).findFirst().orElseThrow();
        assertEquals(HealthCheck.State.DOWN, result.getState());
        assertTrue(result.getDetails().get("last.error").toString().contains("notes.duckdb"),
                () -> result.getDetails().toString());
        assertFalse(result.getMessage().isEmpty());
    }

    private static Stream<Throwable> causes(Throwable error) {
        return Stream.iterate(error, Objects::nonNull, Throwable::getCause);
    }

    /** What {@code camel.health.producersEnabled=true} does: Camel's producer checks are off by default. */
    private void enableProducerChecks() {
        HealthCheckHelper.getHealthCheckRepository(context, "producers").setEnabled(true);
    }

    /** Every readiness result with all details, as a health endpoint with exposure level "full" shows them. */
    private List<HealthCheck.Result> results() {
        return List.copyOf(HealthCheckHelper.invoke(context, check -> Map.of(HealthCheck.CHECK_KIND,
                HealthCheck.Kind.READINESS), check -> !check.isReadiness(), "full"));
    }

    private HealthCheck.Result consumerResult(String routeId) {
        return results().stream().filter(result -> result.getCheck().getId().equals("consumer:" + routeId))
                .findFirst().orElseThrow(() -> new AssertionError("no consumer check: " + results()));
    }

    /** The result of this memory's check, if Camel's registry invoked it. */
    private Optional<HealthCheck.Result> result() {
        List<HealthCheck.Result> ours = results().stream().filter(this::isOurs).toList();
        assertTrue(ours.size() <= 1, () -> "one check per memory: " + ours);
        return ours.stream().findFirst();
    }

    private boolean isOurs(HealthCheck.Result result) {
        return result.getCheck().getId().equals("producer:robustmemory-" + database());
    }
}
