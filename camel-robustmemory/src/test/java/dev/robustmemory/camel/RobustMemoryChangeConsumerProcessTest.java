package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.memory.MemoryChange;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The changes consumer in a process killed with SIGKILL while changes keep coming, then started again: each run
 * emits changes in strictly increasing order, and together they emit every acknowledged change of the prefix, with
 * no gap and nothing else (a change the killed run may have emitted comes again: at least once), as
 * {@link ChangeFeedChecker} judges.
 */
class RobustMemoryChangeConsumerProcessTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path directory;
    @TempDir
    Path childTemp;

    @Test
    void aConsumerKilledMidStreamAndRestartedMissesNoChangeAndKeepsTheOrder() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        List<MemoryChange.Position> acknowledged = new ArrayList<>();
        List<List<MemoryChange.Position>> runs = new ArrayList<>();
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            store.execute(TIMEOUT, session -> {
                session.keepChanges(Duration.ofDays(1));
                return session.store("feed-position", StoredValue.json("{\"revision\":" + session.revision()
                                                                        + ",\"key\":null}"), OptionalLong.empty());
            });
            CompletableFuture<Void> writes = new CompletableFuture<>();
            Thread writer = new Thread(() -> {
                try {
                    write(store, acknowledged);
                    writes.complete(null);
                } catch (Exception | AssertionError e) {
                    writes.completeExceptionally(e);
                }
            }, "writer");

            try (ChildJvm first = ChildJvm.start(childTemp, ChangeFeedChild.class, database.toString())) {
                first.awaitLine("STARTED", TIMEOUT);
                writer.start();
                for (int i = 0; i < 60; i++) {
                    first.awaitLine("GOT", TIMEOUT);
                }
                first.kill9(); // mid-stream: the writer goes on
                runs.add(received(first));
            }
            try (ChildJvm second = ChildJvm.start(childTemp, ChangeFeedChild.class, database.toString())) {
                writes.get();
                MemoryChange.Position last = acknowledged.get(acknowledged.size() - 1);
                String lastLine = "GOT " + last.revision() + " " + last.key();
                while (!second.awaitLine("GOT", TIMEOUT).equals(lastLine)) {
                    // until the last acknowledged change arrived
                }
                second.finish(TIMEOUT);
                runs.add(received(second));
            }
        }
        assertTrue(runs.get(0).size() >= 60 && runs.get(0).size() < acknowledged.size(),
                "the first run was killed mid-stream: " + runs.get(0).size() + " of " + acknowledged.size());
        assertEquals(List.of(), ChangeFeedChecker.problems(acknowledged, runs));
    }

    /** 300 rounds: a store, now and then a storeAll of three keys (one revision) and a delete; all acknowledged. */
    private static void write(DuckDbMemory store, List<MemoryChange.Position> acknowledged) throws Exception {
        for (int i = 0; i < 300; i++) {
            String key = "k/" + i;
            long revision = store.execute(TIMEOUT, session -> session.store(key, StoredValue.text("v"),
                    OptionalLong.empty())).result().version();
            acknowledged.add(new MemoryChange.Position(revision, key));
            store.execute(TIMEOUT, session -> session.store("other/" + key, StoredValue.text("not in the feed"),
                    OptionalLong.empty()));
            if (i % 10 == 0) {
                Map<String, StoredValue> three = new LinkedHashMap<>();
                for (String batchKey : List.of("k/b" + i + "-2", "k/b" + i + "-1", "k/b" + i + "-3")) {
                    three.put(batchKey, StoredValue.text("batch"));
                }
                store.execute(TIMEOUT, session -> session.storeAll(three, Map.of())).result()
                        .forEach((batchKey, entry) -> acknowledged.add(new MemoryChange.Position(entry.version(),
                                batchKey)));
                String deleted = "k/" + (i / 2);
                long deletedAt = store.execute(TIMEOUT, session -> session.delete(deleted) ? session.revision() : 0)
                        .result();
                if (deletedAt > 0) {
                    acknowledged.add(new MemoryChange.Position(deletedAt, deleted));
                }
            }
        }
    }

    private static List<MemoryChange.Position> received(ChildJvm child) {
        List<MemoryChange.Position> positions = new ArrayList<>();
        for (String line : child.transcript()) {
            if (line.startsWith("GOT ")) {
                String[] words = line.split(" ");
                positions.add(new MemoryChange.Position(Long.parseLong(words[1]), words[2]));
            }
        }
        return positions;
    }
}
