package dev.robustmemory.duckdb;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * storeAll, loadAll and deleteAll across real processes, one of them killed with SIGKILL mid-run: no process ever
 * sees a group half written, and the history is linearizable ({@link BatchHistory}). The same workload with the
 * group stored one key per work (the deliberately broken variant) is caught.
 */
class BatchAtomicityProcessTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    /** How many operations the surviving processes complete before the run ends. */
    private static final int OPERATIONS = 600;

    @TempDir
    Path dir;

    @Test
    void batchesAreAllOrNothingAcrossProcessesAndAKill() throws Exception {
        Run run = run("atomic");

        assertTrue(run.ops().size() >= OPERATIONS, () -> "only " + run.ops().size() + " operations");
        assertTrue(run.ops().stream().anyMatch(op -> op.kind().equals("load") && !op.states().get(0).equals("absent")));
        assertEquals(List.of(), BatchHistory.check(run.ops(), run.killedThreads()));
    }

    @Test
    void theCheckerCatchesAGroupStoredOneKeyAtATime() throws Exception {
        Run run = run("split");

        List<String> anomalies = BatchHistory.check(run.ops(), run.killedThreads());
        System.out.println("split: " + anomalies.size() + " anomalies, "
                           + anomalies.stream().filter(anomaly -> anomaly.startsWith("TORN")).count() + " torn reads");
        assertTrue(anomalies.stream().anyMatch(anomaly -> anomaly.startsWith("TORN")), anomalies::toString);
    }

    private record Run(List<BatchHistory.Op> ops, Set<String> killedThreads) {
    }

    /** Three processes; the third is killed once the others have done a third of the work, then a fourth joins. */
    private Run run(String mode) throws Exception {
        Path database = dir.resolve(mode + ".duckdb");
        List<ChildJvm> children = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        try {
            for (String label : List.of("p1", "p2", "p3")) {
                children.add(start(database, mode, label));
            }
            children.forEach(child -> tell(child, "go"));
            awaitOperations(children.subList(0, 2), OPERATIONS / 3);
            ChildJvm victim = children.get(2);
            victim.kill9();
            ChildJvm late = start(database, mode, "p4");
            tell(late, "go");
            children.add(late);
            awaitOperations(List.of(children.get(0), children.get(1), late), OPERATIONS);
            for (ChildJvm child : children) {
                if (child != victim) {
                    assertEquals(0, child.finish(PATIENCE), () -> String.join("\n", child.transcript()));
                }
                lines.addAll(child.transcript());
            }
        } finally {
            for (ChildJvm child : children) {
                child.close();
            }
        }
        assertTrue(lines.stream().noneMatch(line -> line.startsWith("FAILED")),
                () -> lines.stream().filter(line -> !line.startsWith("OP ")).toList().toString());
        Set<String> killed = new HashSet<>(List.of("p3t0", "p3t1"));
        List<BatchHistory.Op> ops = BatchHistory.parse(lines);
        // for the test's log: how much of each the run did
        System.out.printf("%s: %d operations (%d stores, %d loads, %d deletes), 4 processes, 1 killed%n", mode,
                ops.size(), count(ops, "store"), count(ops, "load"), count(ops, "delete"));
        return new Run(ops, killed);
    }

    private static long count(List<BatchHistory.Op> ops, String kind) {
        return ops.stream().filter(op -> op.kind().equals(kind)).count();
    }

    private ChildJvm start(Path database, String mode, String label) throws Exception {
        ChildJvm child = ChildJvm.start(dir.resolve("tmp-" + label), BatchChild.class, database.toString(), mode,
                label);
        child.awaitLine("READY", PATIENCE);
        return child;
    }

    private static void tell(ChildJvm child, String line) {
        try {
            child.tell(line);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Waits until the children have printed {@code count} operation lines together. */
    private static void awaitOperations(List<ChildJvm> children, int count) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (children.stream().mapToLong(child -> child.transcript().stream()
                .filter(line -> line.startsWith("OP ")).count()).sum() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("fewer than " + count + " operations within " + PATIENCE);
            }
            children.get(0).awaitLine("OP ", PATIENCE); // wakes with the first child's next line
        }
    }
}
