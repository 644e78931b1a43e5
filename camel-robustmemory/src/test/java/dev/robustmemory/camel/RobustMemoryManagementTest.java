package dev.robustmemory.camel;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.management.Attribute;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import dev.robustmemory.testing.ChildJvm;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JMX views, through the real platform MBeanServer that camel-management registers them in: a memory's MBean
 * (holder, waiters, statistics, last error, cleanupNow, resetStatistics, LockTimeout), the endpoints' options and the
 * idempotent repository's operations. The holders are other JVMs, so the owner record names another process.
 */
class RobustMemoryManagementTest extends RobustMemoryTestSupport {

    private static final Duration CHILD = Duration.ofSeconds(30);

    @Override
    protected boolean useJmx() {
        return true;
    }

    private MBeanServer server() {
        return context.getManagementStrategy().getManagementAgent().getMBeanServer();
    }

    private ObjectName memoryObjectName() throws Exception {
        return new ObjectName("org.apache.camel:context=" + context.getManagementName() + ",type=services,name="
                              + ObjectName.quote("robustmemory:" + database()));
    }

    private Object attribute(String name) throws Exception {
        return server().getAttribute(memoryObjectName(), name);
    }

    @Test
    void aMemoryIsManagedFromItsFirstUseUntilTheComponentStops() throws Exception {
        MBeanServer server = server();
        assertFalse(server.isRegistered(memoryObjectName()), "no route has used the memory yet");

        call("robustmemory:k", "v");

        assertTrue(server.isRegistered(memoryObjectName()));
        assertEquals(database().toString(), attribute("Database"));
        assertEquals(database().toRealPath() + ".lock", attribute("LockFile"));
        assertEquals(1L, attribute("LockAcquisitions"));
        assertEquals(0L, attribute("LockTimeouts"));
        assertEquals(ProcessHandle.current().pid(), attribute("HolderPid"), "this JVM held the lock last");
        assertTrue((Long) attribute("FencingToken") > 0);
        assertTrue((Double) attribute("MaxHoldMillis") > 0);
        assertNull(attribute("LastError"));
        assertNull(attribute("LockTimeout"), "no timeout was set at run time");

        context.stop();
        assertFalse(server.isRegistered(memoryObjectName()), "a stopped component leaves no MBean behind");
    }

    @Test
    void theViewShowsThisJvmsNamedLocksOnceALockPolicyOfTheMemoryStarted() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:locked").policy(new RobustMemoryLockPolicy(null, "order-1")).to("robustmemory:k").end();
            }
        });
        call("direct:locked", "v");
        call("direct:locked", "w");

        assertEquals(2L, attribute("NamedLockGrants"));
        assertEquals(0L, attribute("NamedLockTimeouts"));
        assertEquals(0, attribute("NamedLocksHeld"));
        assertEquals(0, attribute("NamedLockWaiters"));
        assertTrue((Double) attribute("NamedLockMaxHoldMillis") > 0);
    }

    @Test
    void theViewNamesAHolderInAnotherProcessAndTheWaitersOfThisJvm() throws Exception {
        call("robustmemory:k", "before");
        try (ChildJvm child = ChildJvm.start(dir.resolve("tmp"), MemoryChild.class, "hold", database().toString())) {
            String[] held = child.awaitLine("HELD", CHILD).split(" "); // HELD <pid> <fencing token>
            assertEquals(Long.parseLong(held[1]), attribute("HolderPid"));
            assertEquals("HELD", attribute("HolderState"));
            assertEquals(Long.parseLong(held[2]), attribute("FencingToken"));
            assertTrue(((String) attribute("Holder")).contains(held[1]), () -> "holder: " + attributeText("Holder"));
            assertEquals(0, attribute("Waiters"));

            Future<Exchange> waiting = template.asyncSend("robustmemory:k?lockTimeout=30s",
                    exchange -> exchange.getIn().setBody("after"));
            await().atMost(10, TimeUnit.SECONDS).until(() -> (Integer) attribute("Waiters") == 1);

            child.tell("release");
            child.awaitLine("RELEASED", CHILD);
            assertNull(waiting.get(30, TimeUnit.SECONDS).getException());
        }
        assertEquals(0, attribute("Waiters"));
        assertEquals(2L, attribute("LockAcquisitions"));
        assertEquals(ProcessHandle.current().pid(), attribute("HolderPid"));
    }

    @Test
    void cleanupNowRecoversADeadHoldersRecordAndResetStatisticsStartsTheTotalsAgain() throws Exception {
        call("robustmemory:k", "before");
        String deadPid;
        try (ChildJvm child = ChildJvm.start(dir.resolve("tmp"), MemoryChild.class, "hold", database().toString())) {
            deadPid = child.awaitLine("HELD", CHILD).split(" ")[1];
            child.kill9();
        }

        String found = (String) server().invoke(memoryObjectName(), "cleanupNow", null, null);

        List<?> events = (List<?>) Jsoner.deserialize(found);
        assertEquals(1, events.size(), found);
        Map<?, ?> event = (Map<?, ?>) events.get(0);
        assertEquals("ORPHANED", event.get("eventType"));
        assertEquals(true, event.get("cleaned"));
        assertEquals(deadPid, String.valueOf(event.get("holderPid")));
        assertEquals("RECOVERED", attribute("HolderState"));
        assertEquals(1L, attribute("OrphanedLocksCleaned"));
        assertEquals("[]", server().invoke(memoryObjectName(), "cleanupNow", null, null), "nothing left to find");

        Instant since = Instant.parse((String) attribute("StatisticsSince"));
        server().invoke(memoryObjectName(), "resetStatistics", null, null);
        assertEquals(0L, attribute("LockAcquisitions"));
        assertEquals(0L, attribute("OrphanedLocksCleaned"));
        assertEquals(0.0, attribute("MaxHoldMillis"));
        assertTrue(Instant.parse((String) attribute("StatisticsSince")).isAfter(since));

        Exchange after = call("robustmemory:k", "after");
        assertEquals(1L, attribute("LockAcquisitions"));
        assertEquals(1L, after.getMessage().getHeader(RobustMemoryConstants.LOCK_ACQUISITIONS),
                "the headers count from the reset too");
    }

    @Test
    void theLockTimeoutAttributeTakesWhatTheOptionTakesAndRefusesTheRest() throws Exception {
        call("robustmemory:k", "v");
        server().setAttribute(memoryObjectName(), new Attribute("LockTimeout", "1m30s"));
        assertEquals("PT1M30S", attribute("LockTimeout"));

        for (String bad : new String[] { "abc", "-1s", "10x", "10S" }) {
            JMException refused = assertThrows(JMException.class,
                    () -> server().setAttribute(memoryObjectName(), new Attribute("LockTimeout", bad)));
            String message = rootCause(refused).getMessage();
            assertTrue(message.contains("LockTimeout") && message.contains("'" + bad + "'"), message);
            assertEquals("PT1M30S", attribute("LockTimeout"), "a refused value changes nothing");
        }

        server().setAttribute(memoryObjectName(), new Attribute("LockTimeout", ""));
        assertNull(attribute("LockTimeout"), "empty goes back to the endpoints' own");
    }

    @Test
    void endpointsShowTheirOptions() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:load").to("robustmemory:k?operation=load&lockTimeout=300ms&staleLockThreshold=5m");
            }
        });
        Set<ObjectName> found = server().queryNames(new ObjectName("org.apache.camel:context="
                                                                   + context.getManagementName()
                                                                   + ",type=endpoints,name=\"robustmemory:*\""),
                null);
        assertEquals(1, found.size(), found::toString);
        ObjectName endpoint = found.iterator().next();

        assertEquals("k", server().getAttribute(endpoint, "Key"));
        assertEquals("load", server().getAttribute(endpoint, "Operation"));
        assertEquals("300ms", server().getAttribute(endpoint, "LockTimeout"));
        assertEquals("5m", server().getAttribute(endpoint, "StaleLockThreshold"));
        assertEquals(database().toString(), server().getAttribute(endpoint, "Database"));
        assertEquals(true, server().getAttribute(endpoint, "MonitorLocks"));
    }

    @Test
    void theIdempotentRepositoryOfARouteIsManagedLikeCamelsOwn() throws Exception {
        RobustMemoryIdempotentRepository repository =
                new RobustMemoryIdempotentRepository(database().toString(), "orders");
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:orders").idempotentConsumer(header("orderId"), repository).to("mock:processed");
            }
        });
        MockEndpoint processed = getMockEndpoint("mock:processed");
        processed.expectedBodiesReceived("first", "a again");
        template.sendBodyAndHeader("direct:orders", "first", "orderId", "a");

        Set<ObjectName> found = server().queryNames(new ObjectName("org.apache.camel:context="
                                                                   + context.getManagementName()
                                                                   + ",type=services,name=RobustMemoryIdempotentRepository*"),
                null);
        assertEquals(1, found.size(), found::toString);
        ObjectName name = found.iterator().next();
        String[] oneString = { String.class.getName() };

        assertEquals("orders", server().getAttribute(name, "Name"));
        assertEquals(true, server().invoke(name, "contains", new Object[] { "a" }, oneString));
        assertEquals(false, server().invoke(name, "add", new Object[] { "a" }, oneString));
        assertEquals(true, server().invoke(name, "add", new Object[] { "b" }, oneString));
        assertEquals(true, server().invoke(name, "remove", new Object[] { "a" }, oneString));
        assertEquals(false, server().invoke(name, "contains", new Object[] { "a" }, oneString));

        template.sendBodyAndHeader("direct:orders", "b is a duplicate now", "orderId", "b");
        template.sendBodyAndHeader("direct:orders", "a again", "orderId", "a");
        processed.assertIsSatisfied();

        server().invoke(name, "clear", null, null);
        assertFalse(repository.contains("a") || repository.contains("b"));
    }

    private String attributeText(String name) {
        try {
            return String.valueOf(attribute(name));
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static Throwable rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
