package dev.robustmemory.model;

import dev.robustmemory.store.MemorySession;

/** The memory's revision as a work sees it, relative to a scenario's base. */
final class Revisions {

    private Revisions() {
    }

    static long of(MemorySession session, long base) {
        return 0; // TODO the store has no revision yet: works are replayed in the order they ran
    }
}
