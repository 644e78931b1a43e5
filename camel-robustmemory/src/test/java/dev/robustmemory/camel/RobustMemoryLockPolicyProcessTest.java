package dev.robustmemory.camel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.LockHistory;
import dev.robustmemory.duckdb.lock.MutualExclusionChecker;
import dev.robustmemory.duckdb.lock.NamedLocks;
import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lock policy between real, separate JVMs, each running Camel with a {@code .policy(...)} block: no lost update
 * in a read-modify-write over several route steps, kill -9 inside the block, and fencing of a holder whose names lock
 * file was replaced behind its back.
 */
class RobustMemoryLockPolicyProcessTest {

    private static final Duration CHILD_START = Duration.ofSeconds(60);
    private static final Duration RUN = Duration.ofSeconds(180);
    private static final String NAME = "order-1";

    @TempDir
    Path dir;

    private Path database() {
        return dir.resolve("memory.duckdb");
    }

    @Test
    void aReadModifyWriteOverSeveralStepsLosesNoUpdateAndTheBlocksNeverOverlap() throws Exception {
        Run run = counterRun("locked", 3, 40, 3_000);

        assertTrue(run.verdict().valid(), run.verdict().anomaly().orElse(""));
        assertEquals(120, run.verdict().holds());
        assertEquals(120, run.acknowledged());
        assertEquals(run.acknowledged(), run.counter(), "no lost update");
    }

    @Test
    void theSameRoutesWithoutThePolicyLoseUpdatesAndTheCheckerSeesTheOverlap() throws Exception {
        Run run = counterRun("unlocked", 3, 30, 3_000);

        assertFalse(run.verdict().valid(), "the broken variant must be caught");
        assertTrue(run.verdict().anomaly().get().startsWith("Two holders at once"), run.verdict().anomaly().get());
        assertTrue(run.counter() < run.acknowledged(), "lost updates: " + run.counter() + " of "
                                                       + run.acknowledged());
    }

    @Test
    void aProcessKilledInsideTheBlockLetsTheNextOneInAtOnce() throws Exception {
        try (ChildJvm first = hold()) {
            long firstToken = enteredToken(first.awaitLine("ENTERED ", CHILD_START));
            ChildJvm second = hold();
            second.awaitLine("SENDING", CHILD_START);
            long killed = System.nanoTime();
            first.kill9();
            String entered = second.awaitLine("ENTERED ", Duration.ofSeconds(30));
            double millis = (Long.parseLong(entered.split(" ")[2]) - killed) / 1e6;
            System.out.printf("kill -9 inside a policy block to the next process's entry: %.2f ms%n", millis);
            assertTrue(millis < 1_000, "entered at once: " + millis + " ms");
            assertTrue(enteredToken(entered) > firstToken);
            second.tell("write second");
            second.awaitLine("WROTE", Duration.ofSeconds(30));
            second.close();
        }
        assertEquals("second", load("order"));
    }

    @Test
    void aHolderWhoseNamesFileWasReplacedCannotOverwriteTheNewerHoldersWrite() throws Exception {
        try (ChildJvm stale = hold()) {
            long staleToken = enteredToken(stale.awaitLine("ENTERED ", CHILD_START));
            // What a holder that lost its lock without noticing sees: nothing. Its file is no longer the one in use.
            Path names = NamedLocks.fileFor(database());
            Files.move(names, dir.resolve("replaced.names.lock"));
            try (ChildJvm newer = hold()) {
                long newerToken = enteredToken(newer.awaitLine("ENTERED ", CHILD_START));
                assertTrue(newerToken > staleToken, "a new file starts from the wall clock, after the stale grant");
                newer.tell("write newer");
                newer.awaitLine("WROTE", Duration.ofSeconds(30));
            }
            stale.tell("write stale");
            String refused = stale.awaitLine("REFUSED ", Duration.ofSeconds(30));
            assertTrue(refused.startsWith("REFUSED dev.robustmemory.memory.FencedWriteException"), refused);
            assertTrue(refused.contains("with token " + staleToken + ", but the newest grant of that name has token "),
                    refused);
        }
        assertEquals("newer", load("order"));
    }

    private record Run(MutualExclusionChecker.Verdict verdict, long acknowledged, long counter) {
    }

    private Run counterRun(String variant, int processes, int iterations, int holdMicros) throws Exception {
        List<ChildJvm> children = new ArrayList<>();
        List<Path> histories = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                Path history = dir.resolve("history-" + i);
                histories.add(history);
                children.add(ChildJvm.start(dir.resolve("tmp"), LockPolicyChild.class, "counter",
                        database().toString(), NAME, Integer.toString(iterations), Integer.toString(holdMicros),
                        history.toString(), variant));
            }
            for (ChildJvm child : children) {
                child.awaitLine("READY", CHILD_START);
            }
            for (ChildJvm child : children) {
                child.tell("go");
            }
            long acknowledged = 0;
            List<LockHistory.Event> events = new ArrayList<>();
            for (int i = 0; i < processes; i++) {
                acknowledged += Long.parseLong(children.get(i).awaitLine("DONE ", RUN).substring(5));
                assertEquals(0, children.get(i).finish(Duration.ofSeconds(30)), children.get(i).transcript()
                        .toString());
                events.addAll(LockHistory.read(histories.get(i), children.get(i).pid()));
            }
            Run run = new Run(MutualExclusionChecker.check(events), acknowledged, Long.parseLong(load("counter")));
            System.out.printf("%s: %d JVMs x %d read-modify-writes (%d us slow step): counter %d of %d acknowledged,"
                              + " %s%n", variant, processes, iterations, holdMicros, run.counter(), run.acknowledged(),
                    run.verdict().anomaly().orElse("no overlap"));
            return run;
        } finally {
            for (ChildJvm child : children) {
                child.close();
            }
        }
    }

    private ChildJvm hold() throws Exception {
        return ChildJvm.start(dir.resolve("tmp"), LockPolicyChild.class, "hold", database().toString(), NAME);
    }

    private static long enteredToken(String enteredLine) {
        return Long.parseLong(enteredLine.split(" ")[1]);
    }

    private String load(String key) throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database()))) {
            return store.execute(Duration.ofSeconds(30), session -> session.load(key)).result().orElseThrow()
                    .value().text();
        }
    }
}
