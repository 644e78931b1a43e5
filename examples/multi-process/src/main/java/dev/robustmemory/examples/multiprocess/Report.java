package dev.robustmemory.examples.multiprocess;

import java.io.PrintStream;
import java.util.Map;
import java.util.Optional;

/**
 * What the demo found.
 *
 * @param counterBefore       the counter when the demo started (it persists from earlier runs)
 * @param counterAfter        the counter after the last worker stopped
 * @param acksByWorker        the increments each worker saw acknowledged
 * @param distinctAckedValues how many different counter values were acknowledged, over all workers
 * @param killedPid           the worker killed with SIGKILL
 * @param diedHoldingLock     whether the lock file still named the killed worker as its holder after the kill
 * @param cleanupEvent        the cleanup consumer's event about the killed worker, as its message headers
 */
public record Report(long counterBefore, long counterAfter, Map<String, Integer> acksByWorker,
        long distinctAckedValues, long killedPid, boolean diedHoldingLock, Optional<Map<String, Object>> cleanupEvent) {

    public long acknowledged() {
        return acksByWorker.values().stream().mapToLong(Integer::longValue).sum();
    }

    /** Increments that were committed but never acknowledged: only the killed worker's one in flight may be. */
    public long inFlight() {
        return counterAfter - counterBefore - acknowledged();
    }

    /** Every acknowledged increment is in the counter, each acknowledged value is unique, at most one extra. */
    public boolean nothingLost() {
        return (inFlight() == 0 || inFlight() == 1) && distinctAckedValues == acknowledged();
    }

    void print(PrintStream out) {
        out.printf("The counter went from %d to %d: %d increments acknowledged %s, each with a value of its own (%d"
                   + " different values); %d in flight at the kill.%n",
                counterBefore, counterAfter, acknowledged(), acksByWorker, distinctAckedValues, inFlight());
        out.println(nothingLost()
                ? "Nothing was lost: every acknowledged increment is in the counter, and at most the killed worker's"
                  + " one unacknowledged increment was added."
                : "SOMETHING WAS LOST OR DOUBLED: the counter and the acknowledgements disagree.");
    }
}
