package dev.robustmemory.history;

/**
 * An operation at its place in the revision order: an acknowledged one at the revision it reported, or an unknown (or
 * failed) one at the revision the checker placed it.
 *
 * @param change whether it owns its revision (a change) or read the memory at it
 */
record Step(Operation op, long revision, boolean change) {

    static Step acknowledged(Operation op) {
        return new Step(op, op.revision(), op.changed());
    }

    static Step placed(Operation op, long revision) {
        return new Step(op, revision, true);
    }

    Invocation call() {
        return op.call();
    }
}
