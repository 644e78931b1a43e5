package dev.robustmemory.history;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker fails real runs: one JVM of the real workload on the real store, with a deliberate client bug, must be
 * reported with the anomaly that bug makes.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HistoryBrokenClientTest {

    private static final int THREADS = 4;
    /** Enough that the threads, on six keys, overwrite what the broken client relies on many times over. */
    private static final int OPS_PER_THREAD = 400;

    @TempDir
    Path directory;

    @ParameterizedTest(name = "--broken={0} is reported as {1}")
    @CsvSource({"stale-reads, STALE_READ", "lost-update, LOST_UPDATE"})
    void aBrokenClientIsCaught(String broken, Anomaly.Kind expected) throws Exception {
        long seed = Long.getLong("history.seed", System.nanoTime());
        WorkloadJvm.Setup setup = new WorkloadJvm.Setup(WorkloadJvm.Setup.duckDb(directory.resolve("memory.duckdb")),
                directory, directory.resolve("tmp"), THREADS, broken);
        try (WorkloadJvm jvm = WorkloadJvm.start(setup, 1, seed, OPS_PER_THREAD)) {
            jvm.awaitDone(Duration.ofSeconds(90));
            Verdict verdict = HistoryChecker.check(History.read(List.of(jvm.log())));
            System.out.printf("history --broken=%s: seed %d, %s%n", broken, seed, verdict.summary());
            assertFalse(verdict.valid(), "the checker missed the broken client: " + verdict.report());
            assertTrue(verdict.kinds().containsKey(expected), verdict.report());
        }
    }
}
