package dev.robustmemory.camel;

import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The lock timeout an operator writes through JMX while the routes run: it reaches the memory's operations that start
 * afterwards, on every endpoint of the memory, never one already waiting; the per-message header still wins.
 */
class RobustMemoryRuntimeLockTimeoutTest extends RobustMemoryTestSupport {

    @Override
    protected boolean useJmx() {
        return true;
    }

    private void setLockTimeout(String timeout) throws Exception {
        MBeanServer server = context.getManagementStrategy().getManagementAgent().getMBeanServer();
        ObjectName memory = new ObjectName("org.apache.camel:context=" + context.getManagementName()
                                           + ",type=services,name=" + ObjectName.quote("robustmemory:" + database()));
        server.setAttribute(memory, new Attribute("LockTimeout", timeout));
    }

    private int waiters() {
        return context.getComponent("robustmemory", RobustMemoryComponent.class).managedMemories().get(0)
                .getWaiters();
    }

    @Test
    void anOperationAlreadyWaitingKeepsItsDeadlineAndOneStartedAfterTheChangeGetsTheNewTimeout() throws Exception {
        String uri = "robustmemory:k?lockTimeout=60s";
        call(uri, "before");
        try (LockGrant held = holdLockElsewhere(uri)) {
            Future<Exchange> waitingBefore = template.asyncSend(uri, exchange -> exchange.getIn().setBody("first"));
            // The lease waits for the lock only for a queued operation: once it waits, the first one's deadline is set.
            await().atMost(10, TimeUnit.SECONDS).until(() -> waiters() == 1);

            setLockTimeout("200ms");
            long start = System.nanoTime();
            LockTimeoutException startedAfter = failure(LockTimeoutException.class, uri, "second");

            assertEquals(Duration.ofMillis(200), startedAfter.timeout());
            assertFalse(waitingBefore.isDone(), "the first operation started earlier: with the new timeout its"
                                                + " deadline would have passed before the second one's");
            assertEquals(Duration.ofMillis(50),
                    failure(LockTimeoutException.class, uri, "third", LOCK_TIMEOUT, "50ms").timeout(),
                    "the header still wins");
            assertFalse(waitingBefore.isDone());
            held.close();
            assertNull(waitingBefore.get(30, TimeUnit.SECONDS).getException(), "the first one got the lock in time");
            assertFalse(Duration.ofNanos(System.nanoTime() - start).toSeconds() >= 60);
        }
        assertEquals("first", call(uri + "&operation=load", null).getMessage().getBody());
    }

    @Test
    void theTimeoutReplacesEveryEndpointsOwnUntilItIsCleared() throws Exception {
        String shortWait = "robustmemory:k?lockTimeout=300ms";
        String otherEndpoint = "robustmemory:other?lockTimeout=400ms";
        call(shortWait, "v");
        try (LockGrant held = holdLockElsewhere(shortWait, otherEndpoint)) {
            setLockTimeout("100ms");
            assertEquals(Duration.ofMillis(100), failure(LockTimeoutException.class, shortWait, "v").timeout());
            assertEquals(Duration.ofMillis(100), failure(LockTimeoutException.class, otherEndpoint, "v").timeout());

            setLockTimeout("");
            assertEquals(Duration.ofMillis(300), failure(LockTimeoutException.class, shortWait, "v").timeout());
            assertEquals(Duration.ofMillis(400), failure(LockTimeoutException.class, otherEndpoint, "v").timeout());
        }
    }
}
