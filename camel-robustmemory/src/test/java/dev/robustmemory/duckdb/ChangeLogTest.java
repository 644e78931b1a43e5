package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import dev.robustmemory.memory.ChangesLostException;
import dev.robustmemory.memory.MemoryChange;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.ChildJvm;
import dev.robustmemory.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The change log: every committed change, by any process, in revision order, and nothing else. */
class ChangeLogTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();
    private static final Duration DAY = Duration.ofDays(1);

    @TempDir
    Path directory;
    @TempDir
    Path childTemp;

    private final ManualClock clock = new ManualClock(Instant.parse("2026-06-01T12:00:00Z"));

    private DuckDbMemory open() throws Exception {
        return DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")), clock);
    }

    /** Each change as "revision-from-start key=value" or "... key deleted". */
    private static List<String> described(List<MemoryChange> changes, long start) {
        return changes.stream().map(change -> (change.revision() - start) + " " + change.key()
                + change.entry().map(entry -> "=" + entry.value().text()).orElse(" deleted")).toList();
    }

    private static List<MemoryChange> changesAfter(DuckDbMemory store, MemoryChange.Position after, String prefix,
                                                   int limit) throws Exception {
        return store.execute(TIMEOUT, session -> session.changesAfter(after, prefix, limit)).result();
    }

    @Test
    void everyCommittedChangeIsLoggedInRevisionOrderAndARolledBackOneNever() throws Exception {
        try (DuckDbMemory store = open()) {
            long start = store.execute(TIMEOUT, session -> session.keepChanges(DAY)).result();
            store.execute(TIMEOUT, session -> {
                session.store("a", StoredValue.text("1"), ANY_VERSION);
                return session.store("a", StoredValue.text("2"), ANY_VERSION); // both are changes
            });
            Map<String, StoredValue> pair = new LinkedHashMap<>();
            pair.put("c", StoredValue.text("3"));
            pair.put("b", StoredValue.text("3"));
            store.execute(TIMEOUT, session -> session.storeAll(pair, Map.of()));
            assertThrows(IllegalStateException.class, () -> store.execute(TIMEOUT, session -> {
                session.store("never", StoredValue.text("x"), ANY_VERSION);
                throw new IllegalStateException("the work fails: what it wrote was never committed");
            }));
            store.execute(TIMEOUT, session -> session.delete("a"));
            store.execute(TIMEOUT, session -> session.clear("b"));

            assertEquals(List.of("1 a=1", "2 a=2", "3 b=3", "3 c=3", "4 a deleted", "5 b deleted"),
                    described(changesAfter(store, MemoryChange.Position.afterRevision(start), null, 100), start));
        }
    }

    @Test
    void aReaderPagesThroughTheLogByPositionAlsoWithinOneRevisionAndByPrefix() throws Exception {
        try (DuckDbMemory store = open()) {
            long start = store.execute(TIMEOUT, session -> session.keepChanges(DAY)).result();
            Map<String, StoredValue> orders = new LinkedHashMap<>();
            for (String key : List.of("order/1", "order/2", "order/3", "other/1", "order/4")) {
                orders.put(key, StoredValue.text(key));
            }
            store.execute(TIMEOUT, session -> session.storeAll(orders, Map.of()));
            store.execute(TIMEOUT, session -> session.store("order/5", StoredValue.text("order/5"), ANY_VERSION));

            List<String> seen = new ArrayList<>();
            MemoryChange.Position position = MemoryChange.Position.afterRevision(start);
            for (List<MemoryChange> page; !(page = changesAfter(store, position, "order/", 2)).isEmpty(); ) {
                page.forEach(change -> seen.add(change.key()));
                position = page.get(page.size() - 1).position();
            }
            assertEquals(List.of("order/1", "order/2", "order/3", "order/4", "order/5"), seen);
        }
    }

    @Test
    void changesOfAnotherProcessAreLoggedToo() throws Exception {
        try (DuckDbMemory store = open();
             ChildJvm other = ChildJvm.start(childTemp, StoreTestProcess.class, StoreTestProcess.SERVE_COMMANDS,
                     directory.resolve("memory.duckdb").toString())) {
            other.awaitLine(StoreTestProcess.READY, Duration.ofSeconds(60));
            long start = store.execute(TIMEOUT, session -> session.keepChanges(DAY)).result();
            other.tell("store k theirs");
            other.awaitLine(StoreTestProcess.DONE, TIMEOUT); // journaled by the other process only
            store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("mine"), ANY_VERSION));
            other.tell("delete k");
            other.awaitLine(StoreTestProcess.DONE, TIMEOUT);

            assertEquals(List.of("1 k=theirs", "2 k=mine", "3 k deleted"),
                    described(changesAfter(store, MemoryChange.Position.afterRevision(start), "", 100), start));
        }
    }

    /** Reclaimed changes, or changes from before the log was kept, are never silently skipped. */
    @Test
    void aReaderAskingForChangesTheLogNoLongerHoldsIsToldSo() throws Exception {
        try (DuckDbMemory store = open()) {
            store.execute(TIMEOUT, session -> session.store("before", StoredValue.text("x"), ANY_VERSION));
            long start = store.execute(TIMEOUT, session -> session.keepChanges(Duration.ofHours(1))).result();
            assertThrows(ChangesLostException.class, () -> changesAfter(store,
                    MemoryChange.Position.afterRevision(start - 1), null, 10), "made before the log was kept");

            store.execute(TIMEOUT, session -> session.store("old", StoredValue.text("o"), ANY_VERSION));
            clock.advance(Duration.ofHours(2));
            store.execute(TIMEOUT, session -> session.store("new", StoredValue.text("n"), ANY_VERSION));
            List<MemoryChange> read = changesAfter(store, MemoryChange.Position.afterRevision(start), null, 10);
            // the read applied the journal, and reclaimed the change older than the retention with it
            ChangesLostException lost = assertThrows(ChangesLostException.class,
                    () -> changesAfter(store, MemoryChange.Position.afterRevision(start), null, 10));
            assertEquals(start + 1, lost.completeAfter());
            assertEquals(List.of("new"), changesAfter(store,
                    MemoryChange.Position.afterRevision(lost.completeAfter()), null, 10).stream()
                    .map(MemoryChange::key).toList());
            assertTrue(read.stream().anyMatch(change -> change.key().equals("new")));
        }
    }
}
