package dev.robustmemory.crash;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several JVMs increment one key through the producer while the test kills random ones with SIGKILL and starts
 * replacements. Afterwards: every acknowledged increment is in the counter (at most one extra per kill, committed
 * but killed before it could be acknowledged), no two acknowledgements carry the same value (no lost update, so no
 * two holders at once), and fencing tokens never go backwards as the counter grows.
 *
 * <p>Sized by the system properties {@code torture.jvms} (default 4) and {@code torture.kills} (default 10); the
 * Maven profile {@code torture} raises them.
 */
class CrashTortureTest {

    @TempDir
    Path dir;

    @Test
    void killedHoldersLoseNoAcknowledgedIncrementAndNeverOverlap() throws Exception {
        int jvms = Integer.getInteger("torture.jvms", 4);
        int kills = Integer.getInteger("torture.kills", 10);
        Path database = dir.resolve("torture.duckdb");
        Path childTmp = dir.resolve("tmp");
        Random random = new Random(Long.getLong("torture.seed", System.nanoTime()));
        List<ChildJvm> running = new ArrayList<>();
        List<ChildJvm> all = new ArrayList<>();
        try {
            for (int i = 0; i < jvms; i++) {
                running.add(startChild(database, childTmp, all));
            }
            for (int kill = 0; kill < kills; kill++) {
                ChildJvm victim = running.remove(random.nextInt(running.size()));
                // Let it get some acknowledged work in, then kill it at a random point of its loop.
                victim.awaitLine("ACK", Duration.ofSeconds(60));
                for (int acks = random.nextInt(5); acks > 0; acks--) {
                    victim.awaitLine("ACK", Duration.ofSeconds(60));
                }
                victim.kill9();
                running.add(startChild(database, childTmp, all));
            }
            for (ChildJvm child : running) {
                child.awaitLine("ACK", Duration.ofSeconds(60)); // the survivors still make progress
                child.tell("stop");
            }
            for (ChildJvm child : running) {
                assertEquals(0, child.awaitExit(Duration.ofSeconds(60)), "graceful exit: " + child.transcript());
            }
        } finally {
            for (ChildJvm child : all) {
                child.close();
            }
        }

        TreeMap<Long, Long> tokenByValue = new TreeMap<>();
        long acknowledged = 0;
        for (ChildJvm child : all) {
            Map<String, Long> lastTokenByThread = new HashMap<>();
            for (String line : child.transcript()) {
                if (!line.startsWith("ACK ")) {
                    continue;
                }
                String[] parts = line.split(" ");
                long value = Long.parseLong(parts[1]);
                long token = Long.parseLong(parts[2]);
                acknowledged++;
                Long duplicate = tokenByValue.put(value, token);
                assertEquals(null, duplicate, "two increments acknowledged the same value " + value);
                Long previousToken = lastTokenByThread.put(parts[3], token);
                assertTrue(token > 0 && (previousToken == null || token >= previousToken),
                        "tokens of one thread go backwards: " + line);
            }
        }
        long previous = 0;
        for (long token : tokenByValue.values()) {
            assertTrue(token >= previous, "a larger counter value was written under an older fencing token");
            previous = token;
        }
        long finalValue = finalCounter(database);
        // A kill may land after a batch's commit and before its callers heard of it: up to one batch per kill.
        int inFlightPerKill = IncrementingChild.THREADS;
        assertTrue(finalValue >= acknowledged && finalValue <= acknowledged + (long) kills * inFlightPerKill,
                "counter " + finalValue + " vs " + acknowledged + " acknowledged increments and " + kills + " kills");
        try (Stream<Path> leftovers = Files.list(childTmp)) {
            assertEquals(List.of(), leftovers.filter(p -> p.getFileName().toString().startsWith("libduckdb_java"))
                    .toList(), "killed JVMs must not leave DuckDB's native library behind");
        }
        System.out.printf("torture: %d JVMs, %d kills, %d acknowledged increments, final counter %d, violations 0%n",
                jvms, kills, acknowledged, finalValue);
    }

    @Test
    void aJvmUsingTheComponentStopsOnSigtermWhileBusyAndLeavesTheMemoryUsable() throws Exception {
        Path database = dir.resolve("sigterm.duckdb");
        try (ChildJvm child = startChild(database, dir.resolve("tmp"), new ArrayList<>())) {
            child.awaitLine("ACK", Duration.ofSeconds(60));
            assertTrue(child.terminate(Duration.ofSeconds(30)), "no signal handler may keep the JVM from stopping");
        }
        assertTrue(finalCounter(database) > 0);
    }

    private static ChildJvm startChild(Path database, Path childTmp, List<ChildJvm> all) throws Exception {
        ChildJvm child = ChildJvm.start(childTmp, IncrementingChild.class, database.toString());
        all.add(child);
        child.awaitLine("READY", Duration.ofSeconds(60));
        return child;
    }

    private static long finalCounter(Path database) throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            MemoryEntry entry = store.execute(Duration.ofSeconds(30), s -> s.load("counter").orElseThrow()).result();
            return Long.parseLong(entry.value().text());
        }
    }
}
