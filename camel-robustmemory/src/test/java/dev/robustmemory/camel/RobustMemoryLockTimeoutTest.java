package dev.robustmemory.camel;

import java.time.Duration;

import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.memory.InvalidEntryException;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.FOUND;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Waiting for the lock, with the holder being another thread of this JVM holding the real cross-process lock. */
class RobustMemoryLockTimeoutTest extends RobustMemoryTestSupport {

    /** Scheduling slack on a shared 2-core machine; the lock itself overshoots by at most one 2 ms poll. */
    private static final long MARGIN_MILLIS = 750;

    @Test
    void zeroTimeoutOnAFreeLockSucceeds() {
        call("robustmemory:k?lockTimeout=0", "v");
        assertEquals("v", call("robustmemory:k?operation=load&lockTimeout=0", null).getMessage().getBody());
    }

    @Test
    void aHeldLockTimesOutWithinTheTimeoutPlusAMargin() throws Exception {
        call("robustmemory:k", "before");
        try (LockGrant held = holdLockElsewhere("robustmemory:k?lockTimeout=300ms")) {
            long start = System.nanoTime();
            LockTimeoutException e = failure(LockTimeoutException.class, "robustmemory:k?lockTimeout=300ms", "during");
            long elapsedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();

            assertEquals(Duration.ofMillis(300), e.timeout());
            assertTrue(elapsedMillis >= 300 && elapsedMillis < 300 + MARGIN_MILLIS, "waited " + elapsedMillis + " ms");
        }
        assertEquals("before", call("robustmemory:k?operation=load", null).getMessage().getBody());
    }

    @Test
    void startingNeverWaitsForTheLockAndTheFirstOperationWaitsItsOwnTimeout() throws Exception {
        try (LockGrant held = holdLockElsewhere()) {
            long start = System.nanoTime();
            context.getEndpoint("robustmemory:k?lockTimeout=1s"); // opens the memory: never waits for the lock
            long startMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(startMillis < MARGIN_MILLIS, "starting the endpoint took " + startMillis + " ms");

            start = System.nanoTime();
            assertEquals(Duration.ofSeconds(1),
                    failure(LockTimeoutException.class, "robustmemory:k?lockTimeout=1s", "first").timeout());
            long firstMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(firstMillis >= 1000 && firstMillis < 1000 + MARGIN_MILLIS, "waited " + firstMillis + " ms");

            start = System.nanoTime();
            failure(LockTimeoutException.class, "robustmemory:k?lockTimeout=0", "first");
            assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < MARGIN_MILLIS);
        }
        call("robustmemory:k?lockTimeout=1s", "after");
    }

    @Test
    void zeroTimeoutOnAHeldLockFailsAtOnce() throws Exception {
        try (LockGrant held = holdLockElsewhere("robustmemory:k?lockTimeout=0")) {
            long start = System.nanoTime();
            failure(LockTimeoutException.class, "robustmemory:k?lockTimeout=0", "v");
            assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < MARGIN_MILLIS);
        }
    }

    @Test
    void headerOverridesTheTimeoutForOneMessageOnly() throws Exception {
        String uri = "robustmemory:k?lockTimeout=400ms";
        try (LockGrant held = holdLockElsewhere(uri)) {
            assertEquals(Duration.ofMillis(20),
                    failure(LockTimeoutException.class, uri, "v", LOCK_TIMEOUT, Duration.ofMillis(20)).timeout());
            assertEquals(Duration.ofMillis(30), failure(LockTimeoutException.class, uri, "v", LOCK_TIMEOUT, 30).timeout());
            assertEquals(Duration.ofMillis(40),
                    failure(LockTimeoutException.class, uri, "v", LOCK_TIMEOUT, "40ms").timeout());
            assertEquals(Duration.ofMillis(400), failure(LockTimeoutException.class, uri, "v").timeout(),
                    "the next message without the header waits the endpoint's timeout again");
        }
    }

    @Test
    void aBadTimeoutHeaderIsRefusedWithoutWaiting() throws Exception {
        try (LockGrant held = holdLockElsewhere("robustmemory:k?lockTimeout=10s")) {
            for (Object bad : new Object[] { "abc", "-1s", "10x", "10S", -5L, 1.5d }) {
                IllegalArgumentException e = failure(IllegalArgumentException.class, "robustmemory:k?lockTimeout=10s",
                        "v", LOCK_TIMEOUT, bad);
                assertTrue(e.getMessage().contains(LOCK_TIMEOUT) && e.getMessage().contains(String.valueOf(bad)),
                        e.getMessage());
            }
        }
    }

    @Test
    void oversizedValuesAndBadKeysAreRefusedBeforeTakingTheLock() throws Exception {
        String uri = "robustmemory:k?lockTimeout=10s&maxValueSize=16";
        try (LockGrant held = holdLockElsewhere(uri)) {
            long start = System.nanoTime();
            InvalidEntryException tooLarge = failure(InvalidEntryException.class, uri, "seventeen bytes!!");
            failure(InvalidEntryException.class, uri, new byte[17]);
            failure(InvalidEntryException.class, uri, "v", KEY, "");
            long elapsedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();

            assertTrue(elapsedMillis < MARGIN_MILLIS, "refused after " + elapsedMillis + " ms: waited for the lock");
            assertTrue(tooLarge.getMessage().contains("16"), tooLarge.getMessage());
        }
        call(uri, "sixteen bytes!!!");
        assertEquals(true, call(uri + "&operation=load", null).getMessage().getHeader(FOUND));
    }
}
