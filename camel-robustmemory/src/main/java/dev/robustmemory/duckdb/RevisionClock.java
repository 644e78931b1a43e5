package dev.robustmemory.duckdb;

/**
 * The memory's revision as this JVM knows it: the revision of the latest change committed (by any process) that this
 * JVM has read or made. Every change gets the next one, so revisions order all changes of a memory, across keys and
 * processes, as etcd's {@code mod_revision} does, and a key never shows the same version twice, even after a delete.
 *
 * <p>It never runs ahead of what was committed: a batch that rolls back gives its revisions back
 * ({@link #rewindTo}), so that a read never reports a revision that a later change of another process could get.
 * Used by the lease thread only.
 */
final class RevisionClock {

    private long current;

    long current() {
        return current;
    }

    /** The revision of a new change. */
    long next() {
        return ++current;
    }

    /** Learns of a change committed elsewhere (the journal, the database). */
    void observe(long revision) {
        current = Math.max(current, revision);
    }

    /** Gives back the revisions of a batch that was not committed. */
    void rewindTo(long revision) {
        current = revision;
    }
}
