package dev.robustmemory.camel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The producer is asynchronous: a message waiting for the lock holds no Camel thread, and continues off the lease. */
class RobustMemoryAsyncProducerTest extends RobustMemoryTestSupport {

    private static final String LEASE_THREAD_PREFIX = "robustmemory-lease-";

    /** Where the continuation after the first memory call ran. */
    private final AtomicReference<Thread> continuedOn = new AtomicReference<>();

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:twice")
                        .to("robustmemory:counter?operation=increment")
                        .process(exchange -> continuedOn.set(Thread.currentThread()))
                        .to("robustmemory:counter?operation=increment");
                from("direct:nested")
                        .to("robustmemory:counter?operation=increment")
                        // A blocking call to the same memory from the continuation: it must not wait for itself.
                        .process(exchange -> exchange.getMessage()
                                .setBody(template.requestBody("robustmemory:counter?operation=load", (Object) null)));
            }
        };
    }

    /** One exchange through the producer's asynchronous entry point, recording how its callback was called. */
    private final class Pending {
        final Exchange exchange = new DefaultExchange(context);
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicInteger doneCalls = new AtomicInteger();
        final AtomicReference<Thread> doneOn = new AtomicReference<>();
        volatile boolean doneSync;
        final boolean returnedSync;

        Pending(AsyncProducer producer, Object body, Object... headers) {
            exchange.getIn().setBody(body);
            for (int i = 0; i < headers.length; i += 2) {
                exchange.getIn().setHeader((String) headers[i], headers[i + 1]);
            }
            returnedSync = producer.process(exchange, sync -> {
                doneSync = sync;
                doneOn.set(Thread.currentThread());
                doneCalls.incrementAndGet();
                done.countDown();
            });
        }

        void await() throws InterruptedException {
            assertTrue(done.await(30, TimeUnit.SECONDS), "the exchange never completed");
        }
    }

    private AsyncProducer startedProducer(String uri) throws Exception {
        AsyncProducer producer = context.getEndpoint(uri).createAsyncProducer();
        CamelContextAware.trySetCamelContext(producer, context); // as Camel's producer cache does
        producer.start();
        return producer;
    }

    @Test
    void aMessageWaitingForTheLockDoesNotHoldTheCallingThread() throws Exception {
        String uri = "robustmemory:k?lockTimeout=30s";
        AsyncProducer producer = startedProducer(uri);
        Pending pending;
        try (LockGrant held = holdLockElsewhere(uri)) {
            pending = new Pending(producer, "v");
            // This thread is back while another holder keeps the lock: it was not the one waiting.
            assertFalse(pending.returnedSync);
            assertEquals(1, pending.done.getCount(), "the lock is held: the message cannot have completed");
        }
        pending.await();

        assertNull(pending.exchange.getException());
        assertEquals(1L, pending.exchange.getMessage().getHeader(VERSION));
        assertFalse(pending.doneSync);
        assertNotEquals(Thread.currentThread(), pending.doneOn.get());
        assertFalse(pending.doneOn.get().getName().startsWith(LEASE_THREAD_PREFIX), pending.doneOn.get().getName());
        producer.stop();
    }

    @Test
    void withTheSynchronousOptionTheCallingThreadWaitsAndContinuesTheExchange() throws Exception {
        String uri = "robustmemory:k?synchronous=true&lockTimeout=200ms";
        AsyncProducer producer = startedProducer(uri);
        Pending done = new Pending(producer, "v");
        assertEquals(0, done.done.getCount(), "completed before process returned");
        assertEquals(Thread.currentThread(), done.doneOn.get());
        assertEquals(1L, done.exchange.getMessage().getHeader(VERSION));

        try (LockGrant held = holdLockElsewhere(uri)) {
            Pending timedOut = new Pending(producer, "w");
            assertEquals(0, timedOut.done.getCount(), "this thread waited for the lock until its timeout");
            assertInstanceOf(LockTimeoutException.class, timedOut.exchange.getException());
            assertEquals(1, timedOut.doneCalls.get());
        }
        producer.stop();
    }

    @Test
    void aTimedOutAsynchronousMessageFailsWithTheLockTimeoutOnce() throws Exception {
        String uri = "robustmemory:k?lockTimeout=200ms";
        AsyncProducer producer = startedProducer(uri);
        try (LockGrant held = holdLockElsewhere(uri)) {
            Pending pending = new Pending(producer, "v");
            pending.await();

            LockTimeoutException e = assertInstanceOf(LockTimeoutException.class, pending.exchange.getException());
            assertEquals(Duration.ofMillis(200), e.timeout());
            assertEquals(1, pending.doneCalls.get());
            assertFalse(pending.doneOn.get().getName().startsWith(LEASE_THREAD_PREFIX), pending.doneOn.get().getName());
        }
        producer.stop();
    }

    @Test
    void theRouteContinuesOffTheLeaseThreadAndCanCallTheMemoryAgain() {
        Exchange exchange = template.send("direct:twice", e -> e.getIn().setBody(null));

        assertNull(exchange.getException());
        assertEquals(2L, exchange.getMessage().getBody());
        assertNotEquals(Thread.currentThread(), continuedOn.get(), "the exchange went asynchronous");
        assertFalse(continuedOn.get().getName().startsWith(LEASE_THREAD_PREFIX), continuedOn.get().getName());
    }

    @Test
    void aContinuationThatWaitsForTheSameMemoryIsAnswered() {
        assertEquals(1L, template.requestBody("direct:nested", (Object) null));
    }

    @Test
    void manyMessagesInFlightAtOnceEachCompleteExactlyOnce() throws Exception {
        int messages = 300;
        AsyncProducer producer = startedProducer("robustmemory:counter?operation=increment");
        List<Pending> pending = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
            pending.add(new Pending(producer, null));
        }
        Set<Object> versions = ConcurrentHashMap.newKeySet();
        for (Pending one : pending) {
            one.await();
            assertNull(one.exchange.getException());
            assertTrue(versions.add(one.exchange.getMessage().getHeader(VERSION)), "each increment has its own version");
        }
        // Only now, after every message completed: a second call of a callback would have shown by now.
        assertTrue(pending.stream().allMatch(one -> one.doneCalls.get() == 1));
        assertEquals(messages, versions.size());
        assertEquals((long) messages, call("robustmemory:counter?operation=load", null).getMessage().getBody());
        producer.stop();
    }

    @Test
    void refusedMessagesCompleteSynchronouslyWithoutTouchingTheStore() throws Exception {
        AsyncProducer producer = startedProducer("robustmemory:k?maxValueSize=4");
        Pending tooLarge = new Pending(producer, "five!");
        Pending noKey = new Pending(producer, "v", KEY, "");

        for (Pending refused : List.of(tooLarge, noKey)) {
            assertTrue(refused.returnedSync);
            assertTrue(refused.doneSync);
            assertEquals(Thread.currentThread(), refused.doneOn.get());
            assertEquals(1, refused.doneCalls.get());
            assertInstanceOf(IllegalArgumentException.class, refused.exchange.getException());
        }
        producer.stop();
    }
}
