package dev.robustmemory.camel;

/** What a robustmemory consumer emits. */
public enum RobustMemoryConsumerType {
    /** The lock events found by polling the lock file (orphaned, stale, corrupt, foreign host). */
    lockEvents,
    /** The committed changes of the memory, by any process, in commit order. */
    changes
}
