package dev.robustmemory.camel;

import java.nio.file.Path;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a reset of the statistics moves (the totals shown) and what it leaves (the meters, the last failure). */
class LockStatisticsResetTest {

    private static final long MILLI = 1_000_000;

    @TempDir
    Path dir;

    @Test
    void aResetStartsTheTotalsAgainWhileTheMetersKeepCountingAndTheLastFailureStays() throws Exception {
        LockStatistics statistics = new LockStatistics();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (CrossProcessLock lock = CrossProcessLock.open(dir.resolve("m.lock"), LockFileSettings.defaults())) {
            statistics.bindMeters(registry, Tags.empty(), lock);
            statistics.recordCompleted(RobustMemoryOperation.store, 8 * MILLI, 4 * MILLI, 12 * MILLI);
            statistics.recordFailed(RobustMemoryOperation.load, new IllegalStateException("disk gone"), MILLI);
            LockStatistics.Snapshot before = statistics.snapshot();
            assertEquals(8.0, before.maxWaitMillis());
            assertEquals(4.0, before.avgHoldMillis());

            statistics.reset();

            LockStatistics.Snapshot after = statistics.snapshot();
            assertEquals(0, after.acquisitions());
            assertEquals(0, after.failures());
            assertEquals(0.0, after.maxWaitMillis());
            assertEquals(0.0, after.avgHoldMillis());
            assertTrue(Double.isNaN(after.successRate()), "no request since the reset");
            assertFalse(after.since().isBefore(before.since()));
            assertEquals(1.0, registry.get("robustmemory.lock.acquisitions").functionCounter().count(),
                    "a Micrometer counter never goes down");
            assertTrue(statistics.isFailing(), "the health state is not a statistic");
            assertEquals("java.lang.IllegalStateException: disk gone", statistics.lastFailure().message());

            statistics.recordCompleted(RobustMemoryOperation.store, 2 * MILLI, MILLI, 3 * MILLI);
            assertEquals(1, statistics.snapshot().acquisitions());
            assertEquals(2.0, statistics.snapshot().avgWaitMillis());
            assertEquals(2.0, registry.get("robustmemory.lock.acquisitions").functionCounter().count());
        }
    }
}
