package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Camel's aggregator in real separate JVMs on one aggregation repository: parts of the same groups fed into two
 * processes at once complete every group exactly once with all its parts; a group half aggregated by a process
 * killed with {@code kill -9} is completed by another, and a group completed by a process killed before it
 * confirmed is recovered and delivered by the other, then confirmed. Part of the contract suite
 * ({@link RobustMemoryAggregationProcessPostgresTest}).
 */
class RobustMemoryAggregationProcessTest {

    private static final Duration PATIENCE = Duration.ofSeconds(120);
    /** Each poll lists keys, which applies the journal to DuckDB: not in a busy loop beside the children. */
    private static final long POLL_INTERVAL_MILLIS = 20;

    @TempDir
    Path dir;

    private Path database() {
        return dir.resolve("groups.duckdb");
    }

    /** Where the children's repository is, as {@link AggregationChild}'s arguments: the DuckDB file here. */
    List<String> memoryArguments(String repository, int completionSize, String blocking) {
        return List.of(database().toString(), repository, Integer.toString(completionSize), blocking);
    }

    /** The children's memory, opened as another process would. */
    Memory openMemory() throws Exception {
        return DuckDbMemory.open(StoreSettings.of(database()));
    }

    private ChildJvm child(String name, String repository, int completionSize, String blocking) throws Exception {
        ChildJvm child = ChildJvm.start(dir.resolve("tmp-" + name), AggregationChild.class,
                memoryArguments(repository, completionSize, blocking).toArray(String[]::new));
        child.awaitLine("READY", PATIENCE);
        return child;
    }

    @Test
    void twoProcessesFeedingTheSameGroupsCompleteEachOnceWithAllParts() throws Exception {
        int groups = 40;
        try (ChildJvm odd = child("odd", "shared", 4, "-"); ChildJvm even = child("even", "shared", 4, "-")) {
            odd.tell("burst " + groups + " 1,3");
            even.tell("burst " + groups + " 2,4");
            odd.awaitLine("BURST DONE", PATIENCE);
            even.awaitLine("BURST DONE", PATIENCE);
            awaitNoKeysLeft("aggregation/shared/");
            assertEquals(0, odd.finish(PATIENCE), () -> "output: " + odd.transcript());
            assertEquals(0, even.finish(PATIENCE), () -> "output: " + even.transcript());

            Map<String, List<String>> partsByGroup = new HashMap<>();
            Map<String, String> completions = new HashMap<>();
            for (ChildJvm child : List.of(odd, even)) {
                for (String line : child.transcript()) {
                    if (line.startsWith("COMPLETED ")) {
                        String[] words = line.split(" ");
                        String earlier = completions.put(words[1], child.pid() + ": " + line);
                        assertEquals(null, earlier, () -> words[1] + " completed twice: " + earlier + " and "
                                                          + child.pid() + ": " + line);
                        partsByGroup.put(words[1], sorted(words[2]));
                    }
                }
            }
            assertEquals(groups, partsByGroup.size(), "groups completed");
            for (int group = 0; group < groups; group++) {
                String id = "g" + group;
                assertEquals(List.of(id + "-p1", id + "-p2", id + "-p3", id + "-p4"), partsByGroup.get(id), id);
            }
        }
    }

    @Test
    void groupsOfAProcessKilledWithKill9AreCompletedOrRecoveredByAnother() throws Exception {
        try (ChildJvm victim = child("victim", "crash", 3, "blocked");
             ChildJvm survivor = child("survivor", "crash", 3, "-")) {
            victim.tell("send pending pending-1");
            victim.tell("send pending pending-2");
            victim.awaitLine("SENT pending-2", PATIENCE);
            for (int part = 1; part <= 3; part++) {
                victim.tell("send blocked blocked-" + part);
            }
            assertTrue(victim.awaitLine("COMPLETED blocked", PATIENCE)
                    .startsWith("COMPLETED blocked blocked-1,blocked-2,blocked-3 redelivered=false "));

            victim.kill9();
            long killed = System.nanoTime();

            survivor.tell("send pending pending-3");
            Map<String, String> deliveredBySurvivor = new HashMap<>();
            for (int group = 0; group < 2; group++) { // in either order: recovery runs on its own thread
                String line = survivor.awaitLine("COMPLETED ", PATIENCE);
                deliveredBySurvivor.put(line.split(" ")[1], line);
            }
            assertTrue(deliveredBySurvivor.get("pending")
                    .startsWith("COMPLETED pending pending-1,pending-2,pending-3 redelivered=false "),
                    () -> "the killed process's parts were kept: " + deliveredBySurvivor);
            assertTrue(deliveredBySurvivor.get("blocked")
                    .startsWith("COMPLETED blocked blocked-1,blocked-2,blocked-3 redelivered=true "),
                    () -> "recovered from the killed process: " + deliveredBySurvivor);
            long deliveredMillis = (System.nanoTime() - killed) / 1_000_000;
            awaitNoKeysLeft("aggregation/crash/");
            System.out.println("both groups of the killed process delivered by the survivor " + deliveredMillis
                               + " ms after kill -9 (recovery interval 200 ms)");
            assertEquals(0, survivor.finish(PATIENCE), () -> "output: " + survivor.transcript());
            assertEquals(1, survivor.transcript().stream().filter(line -> line.startsWith("COMPLETED blocked"))
                    .count(), "delivered once by the survivor");
        }
    }

    private static List<String> sorted(String commaSeparated) {
        List<String> parts = new ArrayList<>(Arrays.asList(commaSeparated.split(",")));
        parts.sort(null);
        return parts;
    }

    /** Confirmation follows delivery on the children's threads: poll the memory, bounded, for nothing left. */
    private void awaitNoKeysLeft(String prefix) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        try (Memory store = openMemory()) {
            List<String> left;
            while (!(left = store.execute(Duration.ofSeconds(30), session -> session.keys(prefix)).result())
                    .isEmpty()) {
                List<String> shown = left;
                assertTrue(System.nanoTime() < deadline, () -> "still stored: " + shown);
                Thread.sleep(POLL_INTERVAL_MILLIS); // nothing to wait on: the confirming thread signals nobody
            }
        }
    }
}
