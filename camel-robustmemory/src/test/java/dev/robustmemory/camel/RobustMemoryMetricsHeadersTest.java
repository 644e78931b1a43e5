package dev.robustmemory.camel;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.robustmemory.duckdb.lock.LockException;
import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.memory.VersionConflictException;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.AVG_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.EXPECTED_VERSION;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_ACQUISITIONS;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_FAILURES;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_HOLD_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUTS;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.MAX_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.ORPHANED_LOCKS_CLEANED;
import static dev.robustmemory.camel.RobustMemoryConstants.SUCCESS_RATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The metrics headers: what each operation gets, and the counting rules for timeouts, failures and domain outcomes. */
class RobustMemoryMetricsHeadersTest extends RobustMemoryTestSupport {

    private static final List<String> METRIC_HEADERS = List.of(LOCK_WAIT_TIME, LOCK_HOLD_TIME, LOCK_ACQUISITIONS,
            LOCK_FAILURES, LOCK_TIMEOUTS, ORPHANED_LOCKS_CLEANED, AVG_WAIT_TIME, MAX_WAIT_TIME, SUCCESS_RATE);

    @Test
    void everyOperationGetsItsWaitAndHoldTimesAndTheMemorysTotals() {
        List<Exchange> done = List.of(
                call("robustmemory:k", "v"),
                call("robustmemory:k?operation=load", null),
                call("robustmemory:k?operation=exists", null),
                call("robustmemory:?operation=keys", null),
                call("robustmemory:?operation=size", null),
                call("robustmemory:?operation=increment", null, KEY, "counter"),
                call("robustmemory:k?operation=delete", null),
                call("robustmemory:?operation=clear", null));

        for (int i = 0; i < done.size(); i++) {
            Map<String, Object> headers = headers(done.get(i));
            String operation = "operation " + (i + 1);
            double wait = assertInstanceOf(Double.class, headers.get(LOCK_WAIT_TIME), operation);
            double hold = assertInstanceOf(Double.class, headers.get(LOCK_HOLD_TIME), operation);
            assertTrue(wait >= 0 && hold > 0, operation + ": wait " + wait + ", hold " + hold);
            assertEquals(i + 1L, headers.get(LOCK_ACQUISITIONS), operation);
            assertEquals(0L, headers.get(LOCK_FAILURES), operation);
            assertEquals(0L, headers.get(LOCK_TIMEOUTS), operation);
            assertEquals(0L, headers.get(ORPHANED_LOCKS_CLEANED), operation);
            double avg = assertInstanceOf(Double.class, headers.get(AVG_WAIT_TIME), operation);
            double max = assertInstanceOf(Double.class, headers.get(MAX_WAIT_TIME), operation);
            assertTrue(avg <= max && wait <= max, operation + ": avg " + avg + ", max " + max);
            assertEquals(1.0, headers.get(SUCCESS_RATE), operation);
        }

        Map<String, Object> cleanup = headers(call("robustmemory:?operation=cleanup", null));
        assertFalse(cleanup.containsKey(LOCK_WAIT_TIME), "cleanup takes no grant: no wait of its own");
        assertFalse(cleanup.containsKey(LOCK_HOLD_TIME));
        assertEquals(8L, cleanup.get(LOCK_ACQUISITIONS));
    }

    @Test
    void twoAcquisitionsAFailureAndATimeoutGiveASuccessRateOfOneHalf() throws Exception {
        call("robustmemory:k", "v");
        call("robustmemory:k?operation=load", null);

        try (LockGrant held = holdLockElsewhere("robustmemory:k?lockTimeout=0")) {
            Exchange timedOut = send("robustmemory:k?lockTimeout=0", "refused");
            assertInstanceOf(LockTimeoutException.class, timedOut.getException());
            assertEquals(1L, headers(timedOut).get(LOCK_TIMEOUTS));
            assertInstanceOf(Double.class, headers(timedOut).get(LOCK_WAIT_TIME), "how long it waited");
            assertNull(headers(timedOut).get(LOCK_HOLD_TIME), "it never held the lock");
        }

        Exchange failed;
        try (UnusableLockPath unusable = new UnusableLockPath(Path.of(database() + ".lock"))) {
            failed = send("robustmemory:k", "refused");
        }
        assertInstanceOf(LockException.class, failed.getException());
        assertFalse(failed.getException() instanceof LockTimeoutException);
        Map<String, Object> totals = headers(failed);
        assertEquals(2L, totals.get(LOCK_ACQUISITIONS));
        assertEquals(1L, totals.get(LOCK_FAILURES));
        assertEquals(1L, totals.get(LOCK_TIMEOUTS));
        assertEquals(0.5, totals.get(SUCCESS_RATE));

        assertEquals(0.6, headers(call("robustmemory:k", "works again")).get(SUCCESS_RATE));
    }

    @Test
    void aDomainOutcomeHappenedWithTheLockGrantedAndCountsAsAnAcquisition() {
        call("robustmemory:k", "v");
        Exchange conflict = send("robustmemory:k", "stale write", EXPECTED_VERSION, 7L);

        assertInstanceOf(VersionConflictException.class, conflict.getException());
        assertEquals(2L, headers(conflict).get(LOCK_ACQUISITIONS));
        assertEquals(0L, headers(conflict).get(LOCK_FAILURES));
        assertEquals(1.0, headers(conflict).get(SUCCESS_RATE));
    }

    @Test
    void withoutMonitoringNoMetricsHeaderIsSet() throws Exception {
        String uri = "robustmemory:k?monitorLocks=false&lockTimeout=0";
        List<Exchange> done = List.of(call(uri, "v"), call(uri + "&operation=load", null),
                call(uri + "&operation=cleanup", null));
        Exchange timedOut;
        try (LockGrant held = holdLockElsewhere(uri)) {
            timedOut = send(uri, "refused");
        }
        assertInstanceOf(LockTimeoutException.class, timedOut.getException());

        for (Exchange exchange : List.of(done.get(0), done.get(1), done.get(2), timedOut)) {
            for (String header : METRIC_HEADERS) {
                assertFalse(headers(exchange).containsKey(header), header + " set without monitoring");
            }
        }
    }
}
