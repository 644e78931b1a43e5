package dev.robustmemory.model;

import java.time.Duration;

/** One step of a sequential scenario: a work, or something that happens to the lease between works. */
sealed interface Step permits Step.Run, Step.LeaseEvent, Step.ClockAdvance {

    record Run(Work work) implements Step {
        @Override
        public String toString() {
            return work.toString();
        }
    }

    /**
     * The wall clock moves on before the next work. Only on: after a step back the memory's time stands at the latest
     * time a batch decided by, which the model cannot know (ExpiryClockTest covers it).
     */
    record ClockAdvance(Duration by) implements Step {
        @Override
        public String toString() {
            return "clock +" + by.toMillis() + " ms";
        }
    }

    enum LeaseEvent implements Step {
        /** Another lock holder comes and goes: the next work runs under a new lease. */
        HAND_OVER,
        /** The store is closed and opened again: the next lease starts from what is on disk. */
        REOPEN
    }
}
