package dev.robustmemory.camel;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.robustmemory.duckdb.lock.NamedLocks;
import dev.robustmemory.memory.FencedWriteException;
import dev.robustmemory.memory.NamedLockHold;
import dev.robustmemory.memory.NamedLockService;
import dev.robustmemory.memory.NamedLockTimeoutException;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.AsyncProcessorSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_NAME;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUT;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.NAMED_LOCK_HOLD_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.NAMED_LOCK_WAIT_TIME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lock policy in one JVM: what the block holds, when it lets go, what it fences, and how it fails. */
class RobustMemoryLockPolicyTest extends RobustMemoryTestSupport {

    private static final String ORDER = "order-1";

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    /** What each block saw, by the step that saw it. */
    private final Map<String, Object> seen = new ConcurrentHashMap<>();
    private final AtomicInteger blockRuns = new AtomicInteger();
    private final List<String> copyFailures = new CopyOnWriteArrayList<>();
    private NamedLockService locks;

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        camelContext.getRegistry().bind("meters", meters);
        camelContext.getRegistry().bind("orderLock", new RobustMemoryLockPolicy(null, "${header.orderId}"));
        camelContext.getRegistry().bind("otherLock", new RobustMemoryLockPolicy(null, "other-${header.orderId}"));
        camelContext.getRegistry().bind("itemLock", new RobustMemoryLockPolicy(null, "item-${body}"));
        return camelContext;
    }

    @BeforeEach
    void openLocks() throws Exception {
        locks = openNamedLocks();
    }

    @AfterEach
    void closeLocks() {
        locks.close();
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:store")
                        .policy("orderLock")
                            .process(exchange -> see("inside", exchange))
                            .setHeader(RobustMemoryConstants.KEY, simple("${header.orderId}"))
                            .to("robustmemory:unused")
                        .end()
                        .process(exchange -> see("after", exchange));

                from("direct:fail")
                        .policy("orderLock")
                            .process(exchange -> blockRuns.incrementAndGet())
                            .throwException(new IllegalStateException("inside the block"))
                        .end();

                from("direct:handled")
                        .onException(IllegalStateException.class).handled(true).end()
                        .policy("orderLock")
                            .throwException(new IllegalStateException("handled inside the block"))
                        .end();

                from("direct:async")
                        .policy("orderLock")
                            .to("direct:async-steps")
                            .process(exchange -> seen.put("heldAfterAsyncSteps", heldElsewhere(ORDER)))
                        .end()
                        .process(exchange -> seen.put("heldAfterBlock", heldElsewhere(ORDER)));
                // In a route of their own: in the DSL, threads() takes every later step of its block as its own.
                from("direct:async-steps")
                        .threads(2)
                        .process(new DoneLaterOnAnotherThread());

                from("direct:nested")
                        .policy("orderLock")
                            .policy("orderLock")
                                .process(exchange -> see("inner", exchange))
                            .end()
                            .process(exchange -> seen.put("heldAfterInner", heldElsewhere(ORDER)))
                            .policy("otherLock")
                                .process(exchange -> see("other", exchange))
                            .end()
                            .process(exchange -> see("outerAgain", exchange))
                        .end();

                from("direct:counted")
                        .policy("orderLock")
                            .process(exchange -> blockRuns.incrementAndGet())
                        .end();

                from("direct:split-same-name")
                        .policy("orderLock")
                            .split(body()).to("direct:lock-in-copy").end()
                        .end();
                from("direct:multicast-same-name")
                        .policy("orderLock")
                            .multicast().to("direct:lock-in-copy", "direct:lock-in-copy").end()
                        .end();
                from("direct:lock-in-copy")
                        .onException(IllegalStateException.class).handled(true)
                            .process(exchange -> copyFailures.add(
                                    exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage()))
                        .end()
                        .policy("orderLock")
                            .process(exchange -> blockRuns.incrementAndGet())
                        .end();

                from("direct:split-writes")
                        .policy("orderLock")
                            .split(body())
                                .setHeader(RobustMemoryConstants.KEY, simple("line-${body}"))
                                .to("robustmemory:unused")
                            .end()
                        .end();

                from("direct:split-own-names")
                        .split(body()).parallelProcessing()
                            .policy("itemLock")
                                .process(exchange -> seen.put("item " + exchange.getMessage().getBody(),
                                        exchange.getMessage().getHeader(LOCK_TOKEN)))
                            .end()
                        .end();
                from("direct:multicast-own-names")
                        .multicast().parallelProcessing()
                            .to("direct:item-a", "direct:item-b")
                        .end();
                from("direct:item-a").setBody(constant("a")).policy("itemLock")
                        .process(exchange -> seen.put("item a", heldElsewhere("item-a"))).end();
                from("direct:item-b").setBody(constant("b")).policy("itemLock")
                        .process(exchange -> seen.put("item b", heldElsewhere("item-b"))).end();
            }
        };
    }

    @Test
    void theBlockHoldsTheNameAndItsWritesCarryTheGrantsToken() throws Exception {
        Exchange done = call("direct:store", "v1", "orderId", ORDER);

        assertEquals(true, seen.get("inside heldElsewhere"), "another thread cannot take the name meanwhile");
        assertEquals(ORDER, seen.get("inside " + LOCK_NAME));
        assertEquals(seen.get("inside newestToken"), seen.get("inside " + LOCK_TOKEN));
        assertEquals("v1", call("robustmemory:" + ORDER + "?operation=load", null).getMessage().getBody());
        assertEquals(false, seen.get("after heldElsewhere"), "released when the block ended");
        assertFalse(headers(done).containsKey(LOCK_NAME), "the headers are restored after the block");
        assertFalse(headers(done).containsKey(LOCK_TOKEN));
        assertInstanceOf(Double.class, headers(done).get(NAMED_LOCK_WAIT_TIME));
        assertInstanceOf(Double.class, headers(done).get(NAMED_LOCK_HOLD_TIME));
        assertEquals(1, meters.find("robustmemory.namedlock.wait").timer().count());
        assertEquals(1, meters.find("robustmemory.namedlock.hold").timer().count());
        assertEquals(0, meters.find("robustmemory.namedlock.held").gauge().value());
        assertEquals(memoryName(), meters.find("robustmemory.namedlock.wait").timer().getId()
                .getTag("database"));
    }

    @Test
    void theNameIsReleasedWhenTheBlockFailsAndWhenAnErrorHandlerHandlesTheFailure() throws Exception {
        Exchange failed = send("direct:fail", null, "orderId", ORDER);
        assertEquals("inside the block", failed.getException().getMessage());
        assertFalse(heldElsewhere(ORDER));
        Exchange handled = send("direct:handled", null, "orderId", ORDER);
        assertNull(handled.getException());
        assertFalse(heldElsewhere(ORDER));
        assertReleasedExactlyOnceEach(2);
    }

    @Test
    void asynchronousStepsKeepTheNameUntilTheyEndAndItIsReleasedExactlyOnce() throws Exception {
        for (int i = 0; i < 5; i++) {
            call("direct:async", null, "orderId", ORDER);
            assertEquals(true, seen.get("heldAfterAsyncSteps"), "held on the threads and delay steps' threads");
            assertEquals(false, seen.get("heldAfterBlock"));
        }
        assertReleasedExactlyOnceEach(5);
    }

    @Test
    void aNestedBlockOfTheSameNameReentersAndADifferentNameFencesInsideIt() throws Exception {
        long grantsBefore = grantsOfThePolicies();
        call("direct:nested", null, "orderId", ORDER);

        assertEquals(true, seen.get("heldAfterInner"), "the inner block of the same name did not release it");
        assertEquals(seen.get("inner " + LOCK_TOKEN), seen.get("outerAgain " + LOCK_TOKEN), "one grant");
        assertEquals("other-" + ORDER, seen.get("other " + LOCK_NAME), "the innermost name fences");
        assertEquals(ORDER, seen.get("outerAgain " + LOCK_NAME), "the outer name again after the inner block");
        assertEquals(2, grantsOfThePolicies() - grantsBefore, "order-1 once, other-order-1 once");
        assertReleasedExactlyOnceEach(2);
    }

    @Test
    void aTimeoutFailsTheExchangeWithTheHoldersRecordAndTheBlockNeverRuns() throws Exception {
        try (NamedLockHold held = locks.acquire(ORDER, Duration.ZERO)) {
            long start = System.nanoTime();
            Exchange timedOut = send("direct:counted", null, "orderId", ORDER, LOCK_TIMEOUT, "200ms");
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            NamedLockTimeoutException timeout = assertInstanceOf(NamedLockTimeoutException.class,
                    timedOut.getException());
            assertTrue(timeout.getMessage().contains("newest grant token " + held.token() + " to ")
                       && timeout.getMessage().contains(String.valueOf(ProcessHandle.current().pid())),
                    timeout.getMessage());
            assertTrue(waitedMillis >= 200 && waitedMillis < 2_000, "the header's timeout: " + waitedMillis);
            assertTrue((Double) headers(timedOut).get(NAMED_LOCK_WAIT_TIME) >= 200);

            start = System.nanoTime();
            assertInstanceOf(NamedLockTimeoutException.class,
                    send("direct:counted", null, "orderId", ORDER, LOCK_TIMEOUT, 0).getException());
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(200), "0 tries once");
            assertEquals(0, blockRuns.get(), "the block never ran");
            assertEquals(2, meters.find("robustmemory.namedlock.timeouts").counter().count());
        }
        call("direct:counted", null, "orderId", ORDER);
        assertEquals(1, blockRuns.get());
    }

    @Test
    void badNamesAndTimeoutsFailTheExchangeBeforeTheBlock() {
        IllegalArgumentException empty = failure(IllegalArgumentException.class, "direct:counted", null);
        assertTrue(empty.getMessage().contains("lockName '${header.orderId}' is empty for this exchange"),
                empty.getMessage());
        IllegalArgumentException tooLong = failure(IllegalArgumentException.class, "direct:counted", null,
                "orderId", "x".repeat(NamedLocks.MAX_NAME_BYTES + 1));
        assertTrue(tooLong.getMessage().contains("lockName is invalid for this exchange: A lock name must be at most"),
                tooLong.getMessage());
        IllegalArgumentException badTimeout = failure(IllegalArgumentException.class, "direct:counted", null,
                "orderId", ORDER, LOCK_TIMEOUT, "10x");
        assertTrue(badTimeout.getMessage().contains("Invalid duration for header CamelRobustMemoryLockTimeout"),
                badTimeout.getMessage());
        assertEquals(0, blockRuns.get());
    }

    @Test
    void badOptionsFailTheRouteAtStart() {
        assertStartFails(new RobustMemoryLockPolicy(null, " "), "needs a lockName");
        RobustMemoryLockPolicy badTimeout = new RobustMemoryLockPolicy(null, "x");
        badTimeout.setLockTimeout("abc");
        assertStartFails(badTimeout, "Invalid duration for lock policy option lockTimeout: 'abc'");
        assertStartFails(new RobustMemoryLockPolicy("", "x"), "Option database must name a file");
    }

    @Test
    void aSplitOrMulticastCopyDoesNotInheritTheLockAndFailsAtOnceInsteadOfWaiting() throws Exception {
        call("direct:split-same-name", List.of("a", "b"), "orderId", ORDER);
        call("direct:multicast-same-name", null, "orderId", ORDER);

        assertEquals(4, copyFailures.size(), copyFailures.toString());
        copyFailures.forEach(message -> assertTrue(message.contains("The named lock '" + ORDER + "' is held by"
                + " exchange ") && message.contains("ownership is not inherited"), message));
        assertEquals(0, blockRuns.get());
        assertFalse(heldElsewhere(ORDER));
    }

    @Test
    void copiesWriteWithTheParentsTokenInsideItsBlockAndLockTheirOwnNames() throws Exception {
        call("direct:split-writes", List.of("1", "2"), "orderId", ORDER);
        assertEquals("1", call("robustmemory:line-1?operation=load", null).getMessage().getBody());
        assertEquals("2", call("robustmemory:line-2?operation=load", null).getMessage().getBody());

        call("direct:split-own-names", List.of("x", "y", "z"));
        for (String item : List.of("x", "y", "z")) {
            assertEquals(locks.newestToken("item-" + item), seen.get("item " + item));
        }
        call("direct:multicast-own-names", null);
        assertEquals(true, seen.get("item a"));
        assertEquals(true, seen.get("item b"));
        assertReleasedExactlyOnceEach(6);
    }

    @Test
    void explicitHeadersFenceWritesWithoutThePolicyAndReadsAreNotFenced() throws Exception {
        long stale;
        try (NamedLockHold first = locks.acquire(ORDER, Duration.ZERO)) {
            stale = first.token();
        }
        try (NamedLockHold current = locks.acquire(ORDER, Duration.ZERO)) {
            call("robustmemory:k", "current", LOCK_NAME, ORDER, LOCK_TOKEN, current.token());
        }
        Map<String, Object> writes = new LinkedHashMap<>();
        writes.put("store", "stale");
        writes.put("delete", null);
        writes.put("clear", null);
        writes.put("increment", null);
        writes.put("storeAll", Map.of("k", "stale"));
        writes.put("deleteAll", List.of("k"));
        writes.put("getAndSet", "stale");
        writes.put("putIfAbsent", "stale");
        writes.forEach((operation, body) -> {
            FencedWriteException refused = failure(FencedWriteException.class, "robustmemory:k?operation=" + operation,
                    body, LOCK_NAME, ORDER, LOCK_TOKEN, stale);
            assertEquals(stale, refused.carriedToken(), operation);
        });
        assertEquals("current", call("robustmemory:k?operation=load", null, LOCK_NAME, ORDER, LOCK_TOKEN, stale)
                .getMessage().getBody(), "a load is not fenced");
        assertEquals(true, call("robustmemory:k?operation=exists", null, LOCK_NAME, ORDER, LOCK_TOKEN, stale)
                .getMessage().getBody());

        IllegalArgumentException onlyName = failure(IllegalArgumentException.class, "robustmemory:k", "x",
                LOCK_NAME, ORDER);
        assertTrue(onlyName.getMessage().contains("needs both headers CamelRobustMemoryLockName and"
                                                  + " CamelRobustMemoryLockToken; this message has only"
                                                  + " CamelRobustMemoryLockName"), onlyName.getMessage());
        failure(IllegalArgumentException.class, "robustmemory:k", "x", LOCK_TOKEN, stale);
        assertEquals("current", call("robustmemory:k?operation=load", null).getMessage().getBody());
    }

    /** An asynchronous step: its callback comes 50 ms later from another thread than the one that called it. */
    private static final class DoneLaterOnAnotherThread extends AsyncProcessorSupport {
        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            CompletableFuture.runAsync(() -> callback.done(false),
                    CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
            return false;
        }
    }

    void assertStartFails(RobustMemoryLockPolicy policy, String expected) {
        Exception failed = assertThrows(Exception.class, () -> context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:bad-" + System.nanoTime()).policy(policy).log("never").end();
            }
        }));
        Throwable cause = failed;
        while (cause.getCause() != null && !(cause instanceof IllegalArgumentException)) {
            cause = cause.getCause();
        }
        assertTrue(cause.getMessage().contains(expected), cause.toString());
    }

    /** Every grant was released, and counted as released, once: the hold timer counts each release. */
    private void assertReleasedExactlyOnceEach(int grants) {
        assertEquals(grants, meters.find("robustmemory.namedlock.wait").timer().count());
        assertEquals(grants, meters.find("robustmemory.namedlock.hold").timer().count());
        assertEquals(0, meters.find("robustmemory.namedlock.held").gauge().value());
        assertEquals(0, locks.statistics().heldNow());
    }

    private void see(String step, Exchange exchange) throws Exception {
        String name = exchange.getMessage().getHeader("orderId", String.class);
        seen.put(step + " newestToken", locks.newestToken(name));
        seen.put(step + " heldElsewhere", heldElsewhere(name));
        for (String header : List.of(LOCK_NAME, LOCK_TOKEN)) {
            Object value = exchange.getMessage().getHeader(header);
            if (value != null) {
                seen.put(step + " " + header, value);
            }
        }
    }

    /** Whether another thread finds the name held (it tries once). */
    /** The grants the policies' named locks made, from their meter: the test's own locks may be another instance. */
    private long grantsOfThePolicies() {
        Timer waits = meters.find("robustmemory.namedlock.wait").timer();
        return waits == null ? 0 : waits.count();
    }

    private boolean heldElsewhere(String name) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try (NamedLockHold grant = locks.acquire(name, Duration.ZERO)) {
                return false;
            } catch (NamedLockTimeoutException e) {
                return true;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get(10, TimeUnit.SECONDS);
    }
}
