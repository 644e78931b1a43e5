package dev.robustmemory.history;

import dev.robustmemory.testing.ChildJvm;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A {@link HistoryWorkload} in a child JVM, with the label it writes its unique values under and its log. */
final class WorkloadJvm implements AutoCloseable {

    private static final Duration START = Duration.ofSeconds(60);

    private final String label;
    private final Path log;
    private final ChildJvm child;

    private WorkloadJvm(String label, Path log, ChildJvm child) {
        this.label = label;
        this.log = log;
        this.child = child;
    }

    /**
     * What the workload JVMs of a run share.
     *
     * @param memory the memory's arguments ({@link #duckDb}, {@link #postgresql})
     * @param logs   where each writes its history, {@code p<index>.log}
     * @param tmp    their java.io.tmpdir: a killed JVM leaves DuckDB's native library there
     * @param broken a {@link HistoryWorkload.Fault}, as written on the command line
     */
    record Setup(List<String> memory, Path logs, Path tmp, int threads, String broken) {

        static List<String> duckDb(Path database) {
            return List.of("--database=" + database);
        }

        static List<String> postgresql(String jdbcUrl, String tablePrefix) {
            return List.of("--postgresql=" + jdbcUrl, "--prefix=" + tablePrefix);
        }
    }

    /**
     * Starts the workload and returns once it has opened the memory.
     *
     * @param index        its label is {@code p<index>}: unique in a run, as its written values must be
     * @param opsPerThread 0 to run until {@link #finish} (or a kill)
     */
    static WorkloadJvm start(Setup setup, int index, long seed, long opsPerThread)
            throws IOException, InterruptedException {
        String label = "p" + index;
        Path log = setup.logs().resolve(label + ".log");
        List<String> args = new ArrayList<>(setup.memory());
        args.addAll(List.of("--log=" + log, "--process=" + label, "--threads=" + setup.threads(), "--seed=" + seed,
                "--ops=" + opsPerThread, "--broken=" + setup.broken()));
        ChildJvm child = ChildJvm.start(setup.tmp(), HistoryWorkload.class, args.toArray(String[]::new));
        WorkloadJvm jvm = new WorkloadJvm(label, log, child);
        try {
            child.awaitLine(HistoryWorkload.READY, START);
        } catch (AssertionError | InterruptedException e) {
            child.close();
            throw e;
        }
        return jvm;
    }

    String label() {
        return label;
    }

    Path log() {
        return log;
    }

    /** Waits until it has completed {@code reports} more batches of operations. */
    void awaitProgress(int reports, Duration timeout) throws InterruptedException {
        for (int i = 0; i < reports; i++) {
            child.awaitLine(HistoryWorkload.PROGRESS, timeout);
        }
    }

    /** SIGKILL; returns once it is dead, so that the caller's "killed" line comes after its last operation. */
    void kill9() throws InterruptedException {
        child.kill9();
    }

    /** Ends its input (its cue to stop) and waits for a clean exit. */
    void finish(Duration timeout) throws IOException, InterruptedException {
        int status = child.finish(timeout);
        if (status != 0) {
            throw new AssertionError(label + " exited with " + status + ": " + child.transcript());
        }
    }

    /** Waits for a workload with a set number of operations to end on its own. */
    void awaitDone(Duration timeout) throws InterruptedException {
        int status = child.awaitExit(timeout);
        if (status != 0) {
            throw new AssertionError(label + " exited with " + status + ": " + child.transcript());
        }
    }

    @Override
    public void close() throws InterruptedException {
        child.close();
    }
}
