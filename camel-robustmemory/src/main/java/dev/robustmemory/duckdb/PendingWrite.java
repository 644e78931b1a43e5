package dev.robustmemory.duckdb;

import java.util.Optional;

import dev.robustmemory.memory.MemoryEntry;

/**
 * A write of one key that DuckDB has not seen yet: made by the current batch, or durable in the
 * {@link WriteAheadJournal} only.
 *
 * @param entry         the key's new entry, or empty when the write deleted the key
 * @param revision      the memory-wide revision of this change ({@link MemoryEntry#version()} for a value; a deletion
 *                      has one too, so that the revisions of a key's changes never repeat)
 * @param writtenMicros when it was written, by the memory's time ({@link ExpiryClock}), in microseconds since the
 *                      epoch (the row's {@code updated_at}; what the change log's retention counts from)
 */
record PendingWrite(String key, Optional<MemoryEntry> entry, long revision, long writtenMicros) {

    static PendingWrite of(MemoryEntry entry, long writtenMicros) {
        return new PendingWrite(entry.key(), Optional.of(entry), entry.version(), writtenMicros);
    }

    static PendingWrite deletion(String key, long revision, long writtenMicros) {
        return new PendingWrite(key, Optional.empty(), revision, writtenMicros);
    }
}
