package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.NonNumericValueException;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;
import dev.robustmemory.memory.VersionConflictException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every session operation against a real DuckDB file under a real lock. */
class MemorySessionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();

    @TempDir
    Path directory;
    private DuckDbMemory store;

    @BeforeEach
    void openStore() throws Exception {
        store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private <T> T run(MemoryWork<T> work) throws Exception {
        return store.execute(TIMEOUT, work).result();
    }

    private Optional<MemoryEntry> load(String key) throws Exception {
        return run(session -> session.load(key));
    }

    @Test
    void valuesKeepTheirKindThroughStoreAndLoad() throws Exception {
        byte[] bytes = {0, 1, (byte) 0xff, 0, 42};
        run(session -> {
            session.store("text", StoredValue.text("héllo wörld ✓ \uD83D\uDE00"), ANY_VERSION);
            session.store("bytes", StoredValue.bytes(bytes), ANY_VERSION);
            session.store("empty-bytes", StoredValue.bytes(new byte[0]), ANY_VERSION);
            session.store("json", StoredValue.json("{\"a\":[1,2,null]}"), ANY_VERSION);
            session.store("json-null", StoredValue.json("null"), ANY_VERSION);
            return null;
        });

        assertEquals(StoredValue.text("héllo wörld ✓ \uD83D\uDE00"), load("text").orElseThrow().value());
        assertArrayEquals(bytes, load("bytes").orElseThrow().value().bytes());
        assertEquals(ValueKind.BYTES, load("empty-bytes").orElseThrow().value().kind());
        assertEquals(0, load("empty-bytes").orElseThrow().value().bytes().length);
        assertEquals(StoredValue.json("{\"a\":[1,2,null]}"), load("json").orElseThrow().value());
        assertEquals(StoredValue.json("null"), load("json-null").orElseThrow().value(), "a stored null is found");
        assertEquals(Optional.empty(), load("missing"));
    }

    @Test
    void everyChangeGetsTheNextRevisionOfTheWholeMemory() throws Exception {
        assertEquals(1, run(session -> session.store("k", StoredValue.text("a"), ANY_VERSION)).version());
        assertEquals(2, run(session -> session.store("other", StoredValue.bytes(new byte[]{1}), ANY_VERSION)).version());
        assertEquals(3, run(session -> session.store("k", StoredValue.json("1"), ANY_VERSION)).version());
        assertEquals(4, run(session -> session.increment("k", 1)).version());
        MemoryEntry entry = load("k").orElseThrow();
        assertEquals(4, entry.version());
        assertEquals(StoredValue.json("2"), entry.value());
        assertEquals(4L, this.<Long>run(MemorySession::revision), "a read sees the latest change");

        assertEquals(5L, this.<Long>run(session -> {
            session.delete("k");
            return session.revision();
        }), "a deletion is a change too");
        assertEquals(6, run(session -> session.store("k", StoredValue.text("again"), ANY_VERSION)).version(),
                "a key written again after a delete never shows an earlier version");
        assertEquals(7L, this.<Long>run(session -> {
            session.clear("");
            return session.revision();
        }), "one revision for the whole clear");
        assertEquals(7L, this.<Long>run(session -> {
            session.clear("");
            session.delete("k");
            return session.revision();
        }), "nothing deleted, nothing changed");
    }

    @Test
    void anExpectedVersionReadBeforeADeleteAndRecreateConflicts() throws Exception {
        long read = run(session -> session.store("k", StoredValue.text("first"), ANY_VERSION)).version();
        run(session -> session.delete("k"));
        run(session -> session.store("k", StoredValue.text("second"), ANY_VERSION));

        VersionConflictException stale = assertThrows(VersionConflictException.class,
                () -> run(session -> session.store("k", StoredValue.text("overwrite"), OptionalLong.of(read))));
        assertEquals(read, stale.expectedVersion());
        assertEquals(StoredValue.text("second"), load("k").orElseThrow().value());
    }

    @Test
    void revisionsGivenToARolledBackWorkAreGivenAgain() throws Exception {
        long before = this.<Long>run(MemorySession::revision);
        assertThrows(StoreException.class, () -> run(session -> {
            session.store("k", StoredValue.text("never"), ANY_VERSION);
            throw new StoreException("fails after writing");
        }));
        assertEquals(before + 1, run(session -> session.store("k", StoredValue.text("v"), ANY_VERSION)).version(),
                "a revision nobody saw committed is no gap a reader could fall into");
    }

    @Test
    void everyWriteRecordsTheFencingTokenOfItsGrant() throws Exception {
        Outcome<MemoryEntry> first = store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("a"), ANY_VERSION));
        Outcome<MemoryEntry> second = store.execute(TIMEOUT, session -> session.increment("n", 1));
        assertEquals(first.fencingToken(), first.result().fencingToken());
        assertEquals(second.fencingToken(), second.result().fencingToken());
        assertEquals(first.fencingToken(), load("k").orElseThrow().fencingToken());
        assertEquals(second.fencingToken(), load("n").orElseThrow().fencingToken());
    }

    @Test
    void compareAndSetWritesOnlyOnTheExpectedVersion() throws Exception {
        assertEquals(1, run(session -> session.store("k", StoredValue.text("v1"), OptionalLong.of(0))).version());

        VersionConflictException exists = assertThrows(VersionConflictException.class,
                () -> run(session -> session.store("k", StoredValue.text("never"), OptionalLong.of(0))));
        assertEquals(1, exists.currentVersion());
        assertEquals(0, exists.expectedVersion());
        assertEquals("k", exists.key());

        assertEquals(2, run(session -> session.store("k", StoredValue.text("v2"), OptionalLong.of(1))).version());

        VersionConflictException stale = assertThrows(VersionConflictException.class,
                () -> run(session -> session.store("k", StoredValue.text("never"), OptionalLong.of(1))));
        assertEquals(2, stale.currentVersion());
        VersionConflictException missing = assertThrows(VersionConflictException.class,
                () -> run(session -> session.store("absent", StoredValue.text("never"), OptionalLong.of(3))));
        assertEquals(0, missing.currentVersion());
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());

        assertEquals(StoredValue.text("v2"), load("k").orElseThrow().value());
        assertEquals(2, load("k").orElseThrow().version());
        assertEquals(Optional.empty(), load("absent"));
        assertThrows(InvalidEntryException.class,
                () -> run(session -> session.store("k", StoredValue.text("x"), OptionalLong.of(-1))));
    }

    @Test
    void aConflictCaughtInsideTheWorkLeavesTheTransactionUsable() throws Exception {
        run(session -> session.store("k", StoredValue.text("v1"), ANY_VERSION));
        run(session -> {
            assertThrows(VersionConflictException.class,
                    () -> session.store("k", StoredValue.text("lost"), OptionalLong.of(7)));
            assertThrows(NonNumericValueException.class, () -> session.increment("k", 1));
            return session.store("other", StoredValue.text("kept"), ANY_VERSION);
        });
        assertEquals(StoredValue.text("v1"), load("k").orElseThrow().value());
        assertEquals(StoredValue.text("kept"), load("other").orElseThrow().value());
    }

    @Test
    void deleteAndExists() throws Exception {
        run(session -> session.store("k", StoredValue.text("v"), ANY_VERSION));
        assertTrue(this.<Boolean>run(session -> session.exists("k")));
        assertFalse(this.<Boolean>run(session -> session.exists("nope")));
        assertTrue(this.<Boolean>run(session -> session.delete("k")));
        assertFalse(this.<Boolean>run(session -> session.delete("k")));
        assertFalse(this.<Boolean>run(session -> session.exists("k")));
    }

    @Test
    void keysAreSortedAndPrefixesAreLiteral() throws Exception {
        List<String> all = List.of("a", "a%b", "a\\b", "a_b", "ab", "axb", "b", "é");
        run(session -> {
            for (String key : List.of("é", "b", "axb", "a_b", "a\\b", "a%b", "ab", "a")) {
                session.store(key, StoredValue.text(key), ANY_VERSION);
            }
            return null;
        });

        assertEquals(all, run(session -> session.keys(null)));
        assertEquals(all, run(session -> session.keys("")));
        assertEquals(List.of("a%b"), run(session -> session.keys("a%")));
        assertEquals(List.of("a_b"), run(session -> session.keys("a_")));
        assertEquals(List.of("a\\b"), run(session -> session.keys("a\\")));
        assertEquals(List.of(), run(session -> session.keys("%")));
        assertEquals(List.of(), run(session -> session.keys("_")));
        assertEquals(List.of("a", "a%b", "a\\b", "a_b", "ab", "axb"), run(session -> session.keys("a")));
    }

    @Test
    void aPrefixDuckDbWouldAlterIsRefused() throws Exception {
        run(session -> session.store("?x", StoredValue.text("v"), ANY_VERSION));
        assertThrows(InvalidEntryException.class, () -> run(session -> session.keys("\uD800")));
        assertThrows(InvalidEntryException.class, () -> run(session -> session.clear("\uDC00")));
        assertEquals(List.of("?x"), run(session -> session.keys(null)), "nothing deleted");
    }

    @Test
    void clearDeletesByLiteralPrefixAndCounts() throws Exception {
        run(session -> {
            for (String key : List.of("a%1", "a%2", "a_1", "ab", "b")) {
                session.store(key, StoredValue.text(key), ANY_VERSION);
            }
            return null;
        });
        assertEquals(5L, this.<Long>run(MemorySession::size));
        assertEquals(2L, this.<Long>run(session -> session.clear("a%")));
        assertEquals(List.of("a_1", "ab", "b"), run(session -> session.keys(null)));
        assertEquals(1L, this.<Long>run(session -> session.clear("a_")));
        assertEquals(0L, this.<Long>run(session -> session.clear("zzz")));
        assertEquals(2L, this.<Long>run(session -> session.clear(null)));
        assertEquals(0L, this.<Long>run(MemorySession::size));
    }

    @Test
    void incrementCreatesAddsAndKeepsJson() throws Exception {
        MemoryEntry created = run(session -> session.increment("n", 5));
        assertEquals(1, created.version());
        assertEquals(StoredValue.json("5"), created.value());
        assertEquals(StoredValue.json("2"), run(session -> session.increment("n", -3)).value());

        run(session -> session.store("spaced", StoredValue.json(" \n7\t"), ANY_VERSION));
        assertEquals(StoredValue.json("8"), run(session -> session.increment("spaced", 1)).value());
        run(session -> session.store("minus-zero", StoredValue.json("-0"), ANY_VERSION));
        assertEquals(StoredValue.json("0"), run(session -> session.increment("minus-zero", 0)).value());
        assertEquals(StoredValue.json("2"), load("n").orElseThrow().value());
    }

    @Test
    void incrementRefusesWhatIsNotAJsonIntegerAndLeavesItUnchanged() throws Exception {
        List<StoredValue> notIntegers = List.of(StoredValue.text("5"), StoredValue.json("\"5\""), StoredValue.json("1.0"),
                StoredValue.json("1e3"), StoredValue.json("01"), StoredValue.json("+1"), StoredValue.json("{}"),
                StoredValue.json("null"), StoredValue.json(""), StoredValue.bytes("5".getBytes(StandardCharsets.UTF_8)));
        for (StoredValue value : notIntegers) {
            run(session -> session.store("k", value, ANY_VERSION));
            long version = load("k").orElseThrow().version();
            NonNumericValueException e = assertThrows(NonNumericValueException.class,
                    () -> run(session -> session.increment("k", 1)), value.toString());
            assertTrue(e.getMessage().contains("'k'"), e.getMessage());
            MemoryEntry unchanged = load("k").orElseThrow();
            assertEquals(value, unchanged.value());
            assertEquals(version, unchanged.version());
        }
    }

    @Test
    void incrementRefusesToLeaveTheLongRange() throws Exception {
        run(session -> session.store("max", StoredValue.json(Long.toString(Long.MAX_VALUE)), ANY_VERSION));
        StoreException overflow = assertThrows(StoreException.class, () -> run(session -> session.increment("max", 1)));
        assertFalse(overflow instanceof NonNumericValueException);
        assertTrue(overflow.getMessage().contains("64-bit"), overflow.getMessage());
        assertEquals(StoredValue.json(Long.toString(Long.MAX_VALUE)), load("max").orElseThrow().value());

        run(session -> session.store("huge", StoredValue.json("99999999999999999999"), ANY_VERSION));
        StoreException huge = assertThrows(StoreException.class, () -> run(session -> session.increment("huge", 1)));
        assertTrue(huge.getMessage().contains("64-bit"), huge.getMessage());
        assertEquals(StoredValue.json(Long.toString(Long.MIN_VALUE)),
                run(session -> session.increment("min", Long.MIN_VALUE)).value());
    }

    @Test
    void aFailingWorkWritesNothing() throws Exception {
        run(session -> session.store("k", StoredValue.text("before"), ANY_VERSION));
        StoreException thrown = new StoreException("work failed");
        StoreException e = assertThrows(StoreException.class, () -> run(session -> {
            session.store("k", StoredValue.text("after"), ANY_VERSION);
            session.store("new", StoredValue.text("x"), ANY_VERSION);
            session.increment("counter", 1);
            throw thrown;
        }));
        assertEquals(thrown, e);
        assertThrows(IllegalStateException.class, () -> run(session -> {
            session.clear(null);
            throw new IllegalStateException("boom");
        }));
        assertEquals(StoredValue.text("before"), load("k").orElseThrow().value());
        assertEquals(1, load("k").orElseThrow().version());
        assertEquals(List.of("k"), run(session -> session.keys(null)));
    }

    @Test
    void severalOperationsShareOneGrantAndCommitTogether() throws Exception {
        Outcome<Long> outcome = store.execute(TIMEOUT, session -> {
            session.store("a", StoredValue.text("1"), ANY_VERSION);
            session.store("a", StoredValue.text("2"), ANY_VERSION);
            session.increment("n", 2);
            session.increment("n", 3);
            return session.load("n").orElseThrow().version() * 100 + session.size();
        });
        assertEquals(402, outcome.result(), "the fourth change of the work, and two keys");
        assertEquals(2, load("a").orElseThrow().version());
    }

    @Test
    void theFencingTokenGrowsWithEveryLeaseEvenWhenItsWorkFails() throws Exception {
        long first = store.execute(TIMEOUT, MemorySession::fencingToken).fencingToken();
        assertEquals(first, store.execute(TIMEOUT, MemorySession::fencingToken).result(), "one lease, one token");
        Leases.endLease(store);
        assertThrows(StoreException.class, () -> run(session -> {
            throw new StoreException("fails");
        }));
        Leases.endLease(store);
        Outcome<Long> third = store.execute(TIMEOUT, MemorySession::fencingToken);
        assertEquals(first + 2, third.fencingToken(), "the lease whose only work failed used up a token of its own");
        assertEquals(third.fencingToken(), third.result());
        assertEquals(third.fencingToken(), store.lock().readOwnerRecord().record().fencingToken(),
                "published in the owner record");
    }

    @Test
    void sessionMethodsValidateKeysAndValues() throws Exception {
        String tooLong = "k".repeat(DuckDbMemory.MAX_KEY_LENGTH + 1);
        assertThrows(InvalidEntryException.class, () -> run(session -> session.load("")));
        assertThrows(InvalidEntryException.class, () -> run(session -> session.load(null)));
        assertThrows(InvalidEntryException.class, () -> run(session -> session.exists(tooLong)));
        assertThrows(InvalidEntryException.class, () -> run(session -> session.delete(tooLong)));
        assertThrows(InvalidEntryException.class, () -> run(session -> session.increment("", 1)));
        assertThrows(InvalidEntryException.class,
                () -> run(session -> session.store(tooLong, StoredValue.text("v"), ANY_VERSION)));
        assertThrows(InvalidEntryException.class,
                () -> run(session -> session.store("k", StoredValue.text("\uD800"), ANY_VERSION)));
        assertEquals(0, run(MemorySession::size));
        String longest = "k".repeat(DuckDbMemory.MAX_KEY_LENGTH);
        assertEquals(1, run(session -> session.store(longest, StoredValue.text("v"), ANY_VERSION)).version());
        assertEquals(2, run(session -> session.store("nul\0inside", StoredValue.text("v"), ANY_VERSION)).version());
        assertFalse(this.<Boolean>run(session -> session.exists("nul\0other")), "a NUL character does not cut the key short");
    }

    @Test
    void aSessionCannotBeUsedAfterItsWork() throws Exception {
        MemorySession leaked = run(session -> session);
        assertThrows(IllegalStateException.class, () -> leaked.load("k"));
    }

    // the batch operations and delete with an expected version

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
    void aStoreAllIsOneChangeAndADeleteAllAnother() throws Exception {
        Outcome<Map<String, MemoryEntry>> stored = store.execute(TIMEOUT,
                session -> session.storeAll(texts("x", "1", "y", "2"), Map.of()));
        assertEquals(List.of(1L, 1L), stored.result().values().stream().map(MemoryEntry::version).toList(),
                "every key of one storeAll gets its revision");

        run(session -> session.deleteAll(List.of("x", "y")));
        assertEquals(2L, this.<Long>run(MemorySession::revision), "one revision for all a deleteAll deleted");
        run(session -> session.deleteAll(List.of("x", "never")));
        assertEquals(2L, this.<Long>run(MemorySession::revision), "a deleteAll that deleted nothing changes nothing");
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
        store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")));

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
