package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.StoredValue;
import org.junit.jupiter.api.Test;

class EntryCacheTest {

    private static Optional<MemoryEntry> entry(String key, int valueBytes) {
        return Optional.of(new MemoryEntry(key, StoredValue.bytes(new byte[valueBytes]), 1, 1));
    }

    @Test
    void isBoundedByTheBytesItHoldsAndKeepsTheMostRecentlyUsed() {
        EntryCache cache = new EntryCache();
        int valueBytes = (int) EntryCache.MAX_CACHED_VALUE_SIZE;
        long fitting = EntryCache.MAX_BYTES / valueBytes;
        for (int i = 0; i < 3 * fitting; i++) {
            cache.put("k" + i, entry("k" + i, valueBytes));
            if (i == 0 || i % 10 == 0) {
                assertNotNull(cache.get("k0"), "used again and again: never the eldest");
            }
            assertTrue(cache.bytes() <= EntryCache.MAX_BYTES, "holds " + cache.bytes() + " bytes after " + i);
        }
        assertNull(cache.get("k1"), "an entry not used since went");
        assertNotNull(cache.get("k" + (3 * fitting - 1)));
    }

    @Test
    void accountsForReplacedForgottenAndClearedEntries() {
        EntryCache cache = new EntryCache();
        cache.put("a", entry("a", 1000));
        long one = cache.bytes();
        cache.put("a", entry("a", 1000));
        assertEquals(one, cache.bytes(), "a replaced entry is not counted twice");
        cache.put("a", entry("a", (int) EntryCache.MAX_CACHED_VALUE_SIZE + 1));
        assertNull(cache.get("a"), "a value too large to keep replaces what was known by nothing");
        assertEquals(0, cache.bytes());
        cache.put("p/1", Optional.empty());
        cache.put("p/2", entry("p/2", 10));
        cache.forgetPrefix("p/");
        assertEquals(0, cache.bytes());
        cache.put("b", entry("b", 10));
        cache.clear();
        assertEquals(0, cache.bytes());
    }

    @Test
    void filledWithEveryEntryItKnowsAbsentKeysUntilItMustLeaveOneOut() {
        EntryCache cache = new EntryCache();
        Optional<MemoryEntry> newer = entry("a", 10);
        cache.put("a", newer);
        assertNull(cache.get("absent"), "unknown before it is filled");
        cache.fill(Map.of("a", entry("a", 20).orElseThrow(), "b", entry("b", 20).orElseThrow()),
                Map.of("c", PendingWrite.deletion("c", 9, 1)));
        assertTrue(cache.isComplete());
        assertEquals(newer, cache.get("a"), "what it held is newer than the database's row");
        assertEquals(Optional.empty(), cache.get("c"), "a pending deletion overrides the database");
        assertEquals(Optional.empty(), cache.get("absent"));

        cache.put("large", entry("large", (int) EntryCache.MAX_CACHED_VALUE_SIZE + 1));
        assertNull(cache.get("absent"), "a value too large to keep leaves the cache incomplete");
        cache.fill(Map.of(), Map.of());
        assertTrue(cache.isComplete());
        cache.clear();
        assertNull(cache.get("absent"));
    }
}
