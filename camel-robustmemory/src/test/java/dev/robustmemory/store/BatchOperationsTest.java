package dev.robustmemory.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** loadAll, storeAll, deleteAll and delete with an expected version, on a real DuckDB file under a real lock. */
class BatchOperationsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path directory;
    private MemoryStore store;

    @BeforeEach
    void openStore() throws Exception {
        store = MemoryStore.open(StoreSettings.of(directory.resolve("memory.duckdb")));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private <T> T run(MemoryWork<T> work) throws Exception {
        return store.execute(TIMEOUT, work).result();
    }

    private static Map<String, StoredValue> texts(String... keysAndValues) {
        Map<String, StoredValue> values = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put(keysAndValues[i], StoredValue.text(keysAndValues[i + 1]));
        }
        return values;
    }

    @Test
    void loadAllAnswersTheKeysFoundInTheOrderAsked() throws Exception {
        run(session -> session.storeAll(texts("a", "1", "b", "2", "c", "3"), Map.of()));

        Map<String, MemoryEntry> found = run(session -> session.loadAll(List.of("c", "missing", "a", "c")));

        assertEquals(List.of("c", "a"), List.copyOf(found.keySet()));
        assertEquals(StoredValue.text("3"), found.get("c").value());
        assertEquals(StoredValue.text("1"), found.get("a").value());
    }

    @Test
    void storeAllGivesEachKeyItsOwnRevisionInOneWork() throws Exception {
        Outcome<Map<String, MemoryEntry>> outcome = store.execute(TIMEOUT,
                session -> session.storeAll(texts("x", "1", "y", "2"), Map.of()));

        assertEquals(List.of(1L, 2L), outcome.result().values().stream().map(MemoryEntry::version).toList());
        assertEquals(2L, this.<Long>run(MemorySession::revision));
    }

    @Test
    void aStoreAllWithOneStaleExpectedVersionWritesNothing() throws Exception {
        long aVersion = run(session -> session.store("a", StoredValue.text("old"), OptionalLong.empty())).version();
        run(session -> session.store("b", StoredValue.text("old"), OptionalLong.empty()));

        VersionConflictException conflict = assertThrows(VersionConflictException.class,
                () -> run(session -> session.storeAll(texts("a", "new", "b", "new", "c", "new"),
                        Map.of("a", aVersion, "b", 1L))));

        assertEquals("b", conflict.key());
        Map<String, MemoryEntry> after = run(session -> session.loadAll(List.of("a", "b", "c")));
        assertEquals(StoredValue.text("old"), after.get("a").value());
        assertEquals(StoredValue.text("old"), after.get("b").value());
        assertFalse(after.containsKey("c"), "no key of a refused storeAll is written");
    }

    @Test
    void anExpectedVersionOfZeroMeansTheKeyMustNotExist() throws Exception {
        run(session -> session.store("taken", StoredValue.text("x"), OptionalLong.empty()));

        assertThrows(VersionConflictException.class,
                () -> run(session -> session.storeAll(texts("taken", "y", "free", "y"), Map.of("taken", 0L))));
        run(session -> session.storeAll(texts("free", "y"), Map.of("free", 0L)));

        assertEquals(StoredValue.text("y"), run(session -> session.load("free")).orElseThrow().value());
    }

    @Test
    void anExpectedVersionForAKeyNotStoredIsRefused() {
        assertThrows(InvalidEntryException.class,
                () -> run(session -> session.storeAll(texts("a", "1"), Map.of("elsewhere", 0L))));
    }

    @Test
    void deleteAllDeletesTheKeysThatExistedAndSaysWhich() throws Exception {
        run(session -> session.storeAll(texts("a", "1", "b", "2", "c", "3"), Map.of()));

        List<String> deleted = run(session -> session.deleteAll(List.of("b", "missing", "a")));

        assertEquals(List.of("b", "a"), deleted);
        assertEquals(List.of("c"), run(session -> session.keys(null)));
    }

    @Test
    void deleteWithAnExpectedVersionDeletesOnlyThatVersion() throws Exception {
        long first = run(session -> session.store("k", StoredValue.text("1"), OptionalLong.empty())).version();
        long second = run(session -> session.store("k", StoredValue.text("2"), OptionalLong.empty())).version();

        VersionConflictException conflict = assertThrows(VersionConflictException.class,
                () -> run(session -> session.delete("k", first)));
        assertEquals(second, conflict.currentVersion());
        assertTrue(this.<Boolean>run(session -> session.exists("k")));

        assertFalse(this.<Boolean>run(session -> session.delete("missing", 0)), "0: must not exist, and nothing is deleted");
        assertTrue(this.<Boolean>run(session -> session.delete("k", second)));
        assertEquals(Optional.empty(), run(session -> session.load("k")));
    }

    /** More rows than a lease reads whole into its cache: the keys asked are read from DuckDB in one statement. */
    @Test
    void keysThatOnlyDuckDbKnowsAreLoadedTogetherAfterAReopen() throws Exception {
        int rows = DuckDbSession.FILL_CACHE_MAX_ROWS + 2_000;
        for (int first = 0; first < rows; first += 5_000) {
            Map<String, StoredValue> values = new LinkedHashMap<>();
            for (int i = first; i < Math.min(rows, first + 5_000); i++) {
                values.put("key-" + i, StoredValue.json(Integer.toString(i)));
            }
            run(session -> session.storeAll(values, Map.of()));
        }
        store.close();
        store = MemoryStore.open(StoreSettings.of(directory.resolve("memory.duckdb")));

        List<String> asked = new ArrayList<>();
        for (int i = 0; i < rows; i += 97) {
            asked.add("key-" + i);
            asked.add("not-there-" + i);
        }
        Map<String, MemoryEntry> found = run(session -> session.loadAll(asked));

        assertEquals(asked.size() / 2, found.size());
        for (MemoryEntry entry : found.values()) {
            assertEquals(StoredValue.json(entry.key().substring("key-".length())), entry.value());
        }
    }

    @Test
    void anInvalidKeyAmongManyIsRefusedBeforeAnythingIsRead() {
        assertThrows(InvalidEntryException.class, () -> run(session -> session.loadAll(List.of("fine", ""))));
    }
}
