package dev.robustmemory.model;

/**
 * A work as a caller saw it, from the call to the outcome: the history a checker judges.
 *
 * @param observed       what the work's last run saw; null when it never ran (or failed before telling)
 * @param failure        what the call failed with, or null when it succeeded
 * @param runs           how often the lease ran it: twice when its batch was spoiled and it ran again alone
 * @param invokedNanos   when the call was made ({@link System#nanoTime()})
 * @param completedNanos when its outcome arrived
 * @param clockMicros    the memory's wall clock during the call, which stands still while a work runs: what it
 *                       expires entries by
 */
record WorkRecord(Work work, Work.Observation observed, Throwable failure, int runs, long invokedNanos,
                  long completedNanos, long clockMicros) {

    /** A record of a work whose memory's clock stood still: time 0. */
    WorkRecord(Work work, Work.Observation observed, Throwable failure, int runs, long invokedNanos,
               long completedNanos) {
        this(work, observed, failure, runs, invokedNanos, completedNanos, 0);
    }

    boolean committed() {
        return failure == null;
    }

    /** A committed work that changed the memory: the only kind whose start revision no other work shares. */
    boolean changed() {
        return committed() && observed.endRevision() > observed.startRevision();
    }
}
