package dev.robustmemory.store;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What this JVM knows of the memory's entries: the entries it recently read or wrote, including "known absent", and
 * the others' writes it read from the journal; large values are not kept. It stays true from one lease to the next
 * because every other process's write since is in the journal, which each lease reads first; the lease clears it
 * when that chain is broken (the journal's epoch changed).
 *
 * <p>Used by the lease thread only, so it needs no locking.
 */
final class EntryCache {

    private static final int MAX_ENTRIES = 4096;
    /** Larger values are read from the database each time rather than pinned in memory. */
    private static final long MAX_CACHED_VALUE_SIZE = 64 * 1024;

    private final Map<String, Optional<MemoryEntry>> entries = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Optional<MemoryEntry>> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    /** The entry, {@code Optional.empty()} when known to be absent, or null when unknown. */
    Optional<MemoryEntry> get(String key) {
        return entries.get(key);
    }

    void put(String key, Optional<MemoryEntry> entry) {
        if (entry.isPresent() && entry.get().value().size() > MAX_CACHED_VALUE_SIZE) {
            entries.remove(key);
        } else {
            entries.put(key, entry);
        }
    }

    void forgetPrefix(String prefix) {
        entries.keySet().removeIf(key -> key.startsWith(prefix));
    }

    void clear() {
        entries.clear();
    }
}
