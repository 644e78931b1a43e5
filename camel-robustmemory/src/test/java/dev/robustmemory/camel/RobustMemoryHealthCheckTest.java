package dev.robustmemory.camel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

import dev.robustmemory.lock.LockGrant;
import dev.robustmemory.lock.ProcessIdentity;
import dev.robustmemory.store.StoreException;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The readiness check of each memory in use, called directly through the component's repository (camel-health,
 * which would call it for a registry, is not a dependency).
 */
class RobustMemoryHealthCheckTest extends RobustMemoryTestSupport {

    @Test
    void oneReadinessCheckPerMemoryInUse() {
        assertEquals(List.of(), checks(), "no memory in use yet");
        call("robustmemory:k", "v");
        call("robustmemory:k?database=" + dir.resolve("second.duckdb"), "v");

        List<HealthCheck> checks = checks();
        assertEquals(2, checks.size());
        assertTrue(checks.stream().allMatch(check -> check.isReadiness() && !check.isLiveness()));
        assertEquals("robustmemory:" + database(), check().getId());
    }

    @Test
    void camelsReadinessCheckIncludesEveryMemoryInUse() {
        call("robustmemory:k", "v");
        List<HealthCheck.Result> ours = HealthCheckHelper.invokeReadiness(context).stream()
                .filter(result -> result.getCheck().getId().equals("robustmemory:" + database())).toList();
        assertEquals(1, ours.size(), "found through Camel's health-check registry (camel-health)");
        assertEquals(HealthCheck.State.UP, ours.get(0).getState());
    }

    @Test
    void aFreeMemoryIsUp() throws Exception {
        call("robustmemory:k", "v");
        holdLockElsewhere().close(); // the lease hands over to the waiter, which releases: the lock is free now
        HealthCheck.Result result = check().call();

        assertEquals(HealthCheck.State.UP, result.getState());
        assertEquals(database().toString(), result.getDetails().get("database"));
        assertEquals("RELEASED", result.getDetails().get("lock.state"));
        assertEquals(1L, result.getDetails().get("lock.acquisitions"));
    }

    @Test
    void aHeldLockIsNotDownAndTheDetailsNameTheHolder() throws Exception {
        call("robustmemory:k", "v");
        try (LockGrant held = holdLockElsewhere()) {
            HealthCheck.Result result = check().call();

            assertEquals(HealthCheck.State.UP, result.getState());
            assertEquals("HELD", result.getDetails().get("lock.state"));
            assertEquals(ProcessIdentity.current().pid(), result.getDetails().get("lock.holder.pid"));
            assertEquals(0, result.getDetails().get("lock.waiters"));
        }
    }

    @Test
    void anUnusableLockPathIsDownUntilTheMemoryWorksAgain() throws Exception {
        call("robustmemory:k", "v");
        try (UnusableLockPath unusable = new UnusableLockPath(Path.of(database() + ".lock"))) {
            HealthCheck.Result result = check().call();
            assertEquals(HealthCheck.State.DOWN, result.getState());
            assertTrue(result.getMessage().orElseThrow().contains("is a directory"), result.getMessage()::orElseThrow);

            assertNotNull(send("robustmemory:k", "refused").getException());
        }
        HealthCheck.Result afterFailure = check().call();
        assertEquals(HealthCheck.State.DOWN, afterFailure.getState(), "the latest use failed");
        assertNotNull(afterFailure.getDetails().get("last.error"));

        call("robustmemory:k", "works again");
        assertEquals(HealthCheck.State.UP, check().call().getState());
    }

    @Test
    void aDatabaseThatCannotBeOpenedIsDown() throws Exception {
        Path notADatabase = Files.writeString(dir.resolve("notes.duckdb"), "plain text, not a DuckDB database\n");
        String uri = "robustmemory:k?database=" + notADatabase;
        context.getEndpoint(uri); // starting opens no database: nothing to refuse yet
        Exception refused = send(uri, "v").getException();
        assertTrue(causes(refused).anyMatch(StoreException.class::isInstance), String.valueOf(refused));
        assertTrue(refused.getMessage().contains("is not a DuckDB database"), refused::getMessage);

        HealthCheck check = checks().stream().filter(candidate -> candidate.getId().endsWith("notes.duckdb"))
                .findFirst().orElseThrow();
        HealthCheck.Result result = check.call();
        assertEquals(HealthCheck.State.DOWN, result.getState());
        assertTrue(result.getDetails().get("last.error").toString().contains("notes.duckdb"),
                () -> result.getDetails().toString());
        assertFalse(result.getMessage().isEmpty());
    }

    private static Stream<Throwable> causes(Throwable error) {
        return Stream.iterate(error, Objects::nonNull, Throwable::getCause);
    }

    private List<HealthCheck> checks() {
        return context.getComponent("robustmemory", RobustMemoryComponent.class).getHealthCheckRepository().stream()
                .toList();
    }

    private HealthCheck check() {
        return checks().stream().filter(candidate -> candidate.getId().equals("robustmemory:" + database()))
                .findFirst().orElseThrow();
    }
}
