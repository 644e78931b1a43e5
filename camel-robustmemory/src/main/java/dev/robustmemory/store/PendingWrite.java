package dev.robustmemory.store;

import java.time.Instant;
import java.util.Optional;

/**
 * A write of one key that DuckDB has not seen yet: made by the current batch, or durable in the
 * {@link WriteAheadJournal} only.
 *
 * @param entry         the key's new entry, or empty when the write deleted the key
 * @param writtenMicros when it was written, in microseconds since the epoch (the row's {@code updated_at})
 */
record PendingWrite(String key, Optional<MemoryEntry> entry, long writtenMicros) {

    static PendingWrite of(MemoryEntry entry) {
        return new PendingWrite(entry.key(), Optional.of(entry), nowMicros());
    }

    static PendingWrite deletion(String key) {
        return new PendingWrite(key, Optional.empty(), nowMicros());
    }

    private static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }
}
