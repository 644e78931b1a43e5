package dev.robustmemory.store;

/**
 * A key's current value.
 *
 * @param version      the memory-wide revision of the change that wrote this value ({@link MemorySession#revision()}):
 *                     it grows with every change of the key, and a key never shows the same version twice, not
 *                     even after it was deleted and written again; never 0, which stands for "absent"
 * @param fencingToken the fencing token of the grant that last wrote it
 */
public record MemoryEntry(String key, StoredValue value, long version, long fencingToken) {
}
