package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.testing.ChildJvm;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several JVMs add the same ids to one repository at the same moment: every id must be won by exactly one of them,
 * and the id's stored value must name the process that won it.
 */
class RobustMemoryIdempotentRepositoryProcessTest {

    private static final int PROCESSES = 4;
    private static final int IDS = 200;
    private static final Duration PATIENCE = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void everyIdIsWonByExactlyOneProcess() throws Exception {
        Path database = dir.resolve("race.duckdb");
        List<ChildJvm> children = new ArrayList<>();
        try {
            for (int i = 0; i < PROCESSES; i++) {
                children.add(ChildJvm.start(dir.resolve("tmp-" + i), IdempotentRaceChild.class,
                        database.toString(), "race", Integer.toString(IDS)));
            }
            for (ChildJvm child : children) {
                child.awaitLine("READY", PATIENCE);
            }
            for (ChildJvm child : children) {
                child.tell("go");
            }

            Map<String, Long> winnerById = new HashMap<>();
            int reportedWins = 0;
            for (ChildJvm child : children) {
                reportedWins += Integer.parseInt(child.awaitLine("DONE", PATIENCE).substring("DONE ".length()));
                assertEquals(0, child.awaitExit(PATIENCE), () -> "child output: " + child.transcript());
                for (String line : child.transcript()) {
                    if (line.startsWith("WON ")) {
                        Long earlier = winnerById.put(line.substring("WON ".length()), child.pid());
                        assertEquals(null, earlier, () -> line + " was also won by process " + earlier);
                    }
                }
            }

            assertEquals(IDS, winnerById.size(), "ids won in total");
            assertEquals(IDS, reportedWins);
            assertWinnersRecorded(database, winnerById);
        } finally {
            for (ChildJvm child : children) {
                child.close();
            }
        }
    }

    /** The value stored for each id names the process whose add returned true. */
    private static void assertWinnersRecorded(Path database, Map<String, Long> winnerById) throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            Map<String, MemoryEntry> entries = store.execute(Duration.ofSeconds(10), session -> {
                Map<String, MemoryEntry> found = new HashMap<>();
                for (String key : session.keys("idempotent/race/")) {
                    found.put(key.substring("idempotent/race/".length()), session.load(key).orElseThrow());
                }
                return found;
            }).result();
            assertEquals(winnerById.keySet(), entries.keySet());
            for (Map.Entry<String, Long> winner : winnerById.entrySet()) {
                String id = winner.getKey();
                JsonObject addedBy = (JsonObject) Jsoner.deserialize(entries.get(id).value().text());
                assertEquals(winner.getValue(), addedBy.getLong("pid"), () -> "recorded winner of " + id);
                assertTrue(addedBy.containsKey("addedAt"));
            }
        }
    }
}
