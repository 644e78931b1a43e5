package dev.robustmemory.model;

import dev.robustmemory.memory.MemorySession;

/** The memory's revision as a work sees it, relative to a scenario's base. */
final class Revisions {

    private Revisions() {
    }

    static long of(MemorySession session, long base) {
        return session.revision() - base;
    }
}
