package dev.robustmemory.store;

/**
 * A key's current value.
 *
 * @param version      grows by one on every write of the key, starting at 1
 * @param fencingToken the fencing token of the grant that last wrote it
 */
public record MemoryEntry(String key, StoredValue value, long version, long fencingToken) {
}
