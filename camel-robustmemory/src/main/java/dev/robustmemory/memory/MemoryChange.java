package dev.robustmemory.memory;

import java.util.Optional;

/**
 * A committed change of one key, as the memory's change log keeps it ({@link MemorySession#changesAfter}).
 *
 * @param revision      the change's revision: what orders all changes of the memory; the keys of one
 *                      {@code storeAll}, {@code deleteAll} or {@code clear} share one
 * @param entry         the key's entry as the change left it; empty when the change deleted it
 * @param writtenMicros when it was written, by the writer's wall clock, in microseconds since the epoch
 */
public record MemoryChange(long revision, String key, Optional<MemoryEntry> entry, long writtenMicros) {

    /** Where a reader of the change log is: after the change of {@code key} at {@code revision}. */
    public record Position(long revision, String key) {

        /** Before every change after {@code revision}. */
        public static Position afterRevision(long revision) {
            return new Position(revision, null);
        }
    }

    public Position position() {
        return new Position(revision, key);
    }
}
