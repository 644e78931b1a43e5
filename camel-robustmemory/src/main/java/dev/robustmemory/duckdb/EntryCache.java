package dev.robustmemory.duckdb;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;

/**
 * What this JVM knows of the memory's entries: the entries it recently read or wrote, including "known absent", and
 * the others' writes it read from the journal; large values are not kept. It stays true from one lease to the next
 * because every other process's write since is in the journal, which each lease reads first; the lease clears it
 * when that chain is broken (the journal's epoch changed).
 *
 * <p>Bounded by the bytes it holds ({@value #MAX_BYTES}), not by a count of entries, so that large values cannot
 * make it grow with them; the least recently used entries go first.
 *
 * <p>Used by the lease thread only, so it needs no locking.
 */
final class EntryCache {

    static final long MAX_BYTES = 32L * 1024 * 1024;
    /** Larger values (bytes in this JVM) are read from the database each time rather than pinned in memory. */
    static final long MAX_CACHED_VALUE_SIZE = 64 * 1024;
    /** What an entry costs besides its key and value: the map's node, the entry and value objects. */
    private static final long ENTRY_OVERHEAD = 160;

    private final Map<String, Optional<MemoryEntry>> entries = new LinkedHashMap<>(256, 0.75f, true);
    private long bytes;
    private long evictions;
    /** Whether it holds every entry of the memory, so that a key it does not hold is known to be absent. */
    private boolean complete;

    /** The entry, {@code Optional.empty()} when known to be absent, or null when unknown. */
    Optional<MemoryEntry> get(String key) {
        Optional<MemoryEntry> entry = entries.get(key);
        return entry == null && complete ? Optional.empty() : entry;
    }

    /**
     * Fills the cache with every entry: the database's rows, overlaid with the writes it lacks ({@code pending}); the
     * entries already held stay, being at least as new. When none had to be left out, it knows from then on that a
     * key it does not hold is absent, until {@link #clear()} or an eviction.
     */
    void fill(Map<String, MemoryEntry> database, Map<String, PendingWrite> pending) {
        long before = evictions;
        pending.forEach((key, write) -> {
            if (!entries.containsKey(key)) {
                put(key, write.entry());
            }
        });
        database.forEach((key, entry) -> {
            if (!entries.containsKey(key)) {
                put(key, Optional.of(entry));
            }
        });
        complete = evictions == before;
    }

    boolean isComplete() {
        return complete;
    }

    void put(String key, Optional<MemoryEntry> entry) {
        if (entry.isPresent() && footprint(entry.get().value()) > MAX_CACHED_VALUE_SIZE) {
            forget(key);
            return;
        }
        Optional<MemoryEntry> replaced = entries.put(key, entry);
        if (replaced != null) {
            bytes -= weight(key, replaced);
        }
        bytes += weight(key, entry);
        for (Iterator<Map.Entry<String, Optional<MemoryEntry>>> eldest = entries.entrySet().iterator();
             bytes > MAX_BYTES && eldest.hasNext(); ) {
            Map.Entry<String, Optional<MemoryEntry>> evicted = eldest.next();
            bytes -= weight(evicted.getKey(), evicted.getValue());
            eldest.remove();
            evictions++;
            complete = false;
        }
    }

    void forgetPrefix(String prefix) {
        entries.entrySet().removeIf(entry -> {
            boolean forgotten = entry.getKey().startsWith(prefix);
            if (forgotten) {
                bytes -= weight(entry.getKey(), entry.getValue());
            }
            return forgotten;
        });
    }

    void clear() {
        entries.clear();
        bytes = 0;
        complete = false;
    }

    /** The bytes the cache accounts for: at most {@link #MAX_BYTES}. */
    long bytes() {
        return bytes;
    }

    private void forget(String key) {
        complete = false; // the key's large value is not kept, but it is not absent
        evictions++;
        Optional<MemoryEntry> removed = entries.remove(key);
        if (removed != null) {
            bytes -= weight(key, removed);
        }
    }

    private static long weight(String key, Optional<MemoryEntry> entry) {
        return ENTRY_OVERHEAD + 2L * key.length() + entry.map(present -> footprint(present.value())).orElse(0L);
    }

    /** The bytes a value takes in this JVM (text is UTF-16): cheaper to know than its UTF-8 size. */
    private static long footprint(StoredValue value) {
        return value.kind() == ValueKind.BYTES ? value.bytes().length : 2L * value.text().length();
    }
}
