package dev.robustmemory.memory;

import java.time.Instant;
import java.util.Optional;

/**
 * A key's current value.
 *
 * @param version         the memory-wide revision of the change that wrote this value
 *                        ({@link MemorySession#revision()}): it grows with every change of the key, and a key never
 *                        shows the same version twice, not even after it was deleted or expired and written again;
 *                        never 0, which stands for "absent"
 * @param fencingToken    the fencing token of the grant that last wrote it
 * @param expiresAtMicros when the entry expires, in microseconds since the epoch by the memory's clock
 *                        ({@link MemorySession#nowMicros()}); 0 when it never does
 */
public record MemoryEntry(String key, StoredValue value, long version, long fencingToken, long expiresAtMicros) {

    /** An entry that never expires. */
    public MemoryEntry(String key, StoredValue value, long version, long fencingToken) {
        this(key, value, version, fencingToken, 0);
    }

    /** When the entry expires; empty when it never does. */
    public Optional<Instant> expiresAt() {
        return expiresAtMicros == 0 ? Optional.empty()
               : Optional.of(Instant.ofEpochSecond(Math.floorDiv(expiresAtMicros, 1_000_000),
                       Math.floorMod(expiresAtMicros, 1_000_000) * 1_000));
    }
}
