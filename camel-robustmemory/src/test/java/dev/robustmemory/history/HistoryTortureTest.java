package dev.robustmemory.history;

import dev.robustmemory.duckdb.lock.LockTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several JVMs run the history workload on one memory while the test kills random ones with SIGKILL and starts
 * replacements; the merged history of all of them must have no anomaly. Prints its size, seed and duration.
 *
 * <p>Sized by the system properties {@code history.jvms} (JVMs running at once, default 3), {@code history.threads}
 * (per JVM, 4), {@code history.kills} (3) and {@code history.progress} (at most this many hundreds of operations of a
 * victim between two kills, 3); {@code history.seed} repeats a run's choices (not its timing). The Maven profile
 * {@code torture} raises them. The logs stay in {@code target/history-runs/<seed>} for reading, and for
 * {@link HistoryRecheckTest} to judge again after a change to the checker.
 */
@Timeout(value = 600, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HistoryTortureTest {

    private static final Duration PROGRESS_WAIT = Duration.ofSeconds(60);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path directory;

    @Test
    void killedAndConcurrentJvmsLeaveAHistoryWithoutAnomalies() throws Exception {
        int jvms = Integer.getInteger("history.jvms", 3);
        int threads = Integer.getInteger("history.threads", 4);
        int kills = Integer.getInteger("history.kills", 3);
        int progress = Integer.getInteger("history.progress", 3);
        long seed = Long.getLong("history.seed", System.nanoTime());
        Random random = new Random(seed);
        Path logs = Files.createDirectories(Path.of("target", "history-runs", Long.toString(seed)));
        WorkloadJvm.Setup setup = new WorkloadJvm.Setup(memory(), logs, directory.resolve("tmp"), threads, "none");
        long started = System.nanoTime();

        List<WorkloadJvm> all = new ArrayList<>();
        List<Path> histories = new ArrayList<>(List.of(logs.resolve("kills.log")));
        try (HistoryRecorder killLog = new HistoryRecorder(histories.get(0)); AutoCloseable disturbing = disturb()) {
            List<WorkloadJvm> running = new ArrayList<>();
            for (int i = 0; i < jvms; i++) {
                running.add(start(setup, all, random));
            }
            for (int kill = 0; kill < kills; kill++) {
                WorkloadJvm victim = running.remove(random.nextInt(running.size()));
                victim.awaitProgress(1 + random.nextInt(progress), PROGRESS_WAIT);
                victim.kill9();
                killLog.killed(victim.label());
                running.add(start(setup, all, random));
            }
            for (WorkloadJvm survivor : running) {
                survivor.awaitProgress(1, PROGRESS_WAIT); // the survivors and the replacements still get work done
            }
            for (WorkloadJvm survivor : running) {
                survivor.finish(EXIT_WAIT);
            }
        } finally {
            for (WorkloadJvm jvm : all) {
                jvm.close();
            }
        }
        all.forEach(jvm -> histories.add(jvm.log()));
        long ranMillis = (System.nanoTime() - started) / 1_000_000;

        History history = History.read(histories);
        long checking = System.nanoTime();
        Verdict verdict = HistoryChecker.check(history);
        long checkMillis = (System.nanoTime() - checking) / 1_000_000;
        System.out.printf("history: %d JVMs at once (%d started), %d threads each, %d kills, seed %d; %s;"
                          + " failures %s; ran %d ms, checked in %d ms; logs in %s%n",
                jvms, all.size(), threads, kills, seed, verdict.summary(), history.failuresByClass(), ranMillis,
                checkMillis, logs.toAbsolutePath());

        assertTrue(verdict.valid(), verdict.report());
        assertTrue(history.failuresByClass().containsKey(lockTimeout().getName()),
                "the short lock timeouts must really time out, or failures go untested");
        assertTrue(kills == 0 || verdict.unknown() > 0, "kills must leave operations in flight");
    }

    /** The memory the JVMs share: a DuckDB file here. */
    List<String> memory() {
        return WorkloadJvm.Setup.duckDb(directory.resolve("memory.duckdb"));
    }

    /** Something more that goes wrong while the JVMs run, stopped (and checked) when closed: nothing here. */
    AutoCloseable disturb() throws Exception {
        return () -> { };
    }

    /** What a work that waited too long fails with. */
    Class<?> lockTimeout() {
        return LockTimeoutException.class;
    }

    private static WorkloadJvm start(WorkloadJvm.Setup setup, List<WorkloadJvm> all, Random random)
            throws Exception {
        WorkloadJvm jvm = WorkloadJvm.start(setup, all.size() + 1, random.nextLong(), 0);
        all.add(jvm);
        return jvm;
    }
}
