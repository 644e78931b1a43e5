package dev.robustmemory.model;

/** One step of a sequential scenario: a work, or something that happens to the lease between works. */
sealed interface Step permits Step.Run, Step.LeaseEvent {

    record Run(Work work) implements Step {
        @Override
        public String toString() {
            return work.toString();
        }
    }

    enum LeaseEvent implements Step {
        /** Another lock holder comes and goes: the next work runs under a new lease. */
        HAND_OVER,
        /** The store is closed and opened again: the next lease starts from what is on disk. */
        REOPEN
    }
}
