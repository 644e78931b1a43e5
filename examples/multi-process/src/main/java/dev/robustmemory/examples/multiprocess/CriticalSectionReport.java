package dev.robustmemory.examples.multiprocess;

import java.io.PrintStream;

/**
 * What the critical-section demo found.
 *
 * @param unlockedAcks    deposits acknowledged in the run without a lock
 * @param unlockedGrowth  how much the balance grew in that run
 * @param lockedAcks      deposits acknowledged in the run with the lock policy
 * @param lockedGrowth    how much the balance grew in that run
 * @param takeoverMicros  from the kill of the worker inside the block to the next worker's entry
 */
public record CriticalSectionReport(long unlockedAcks, long unlockedGrowth, long lockedAcks, long lockedGrowth,
        long takeoverMicros) {

    /** Deposits acknowledged but overwritten in the run without a lock. */
    public long unlockedLost() {
        return unlockedAcks - unlockedGrowth / Teller.DEPOSIT;
    }

    /** Deposits stored but never acknowledged in the locked run: only the killed worker's one in flight may be. */
    public long lockedInFlight() {
        return lockedGrowth / Teller.DEPOSIT - lockedAcks;
    }

    public boolean lockedRunLostNothing() {
        return lockedGrowth % Teller.DEPOSIT == 0 && (lockedInFlight() == 0 || lockedInFlight() == 1);
    }

    void print(PrintStream out) {
        out.printf("With the lock: %d deposits acknowledged, the balance grew by %d (%d in flight at the kill).%n",
                lockedAcks, lockedGrowth, lockedInFlight());
        out.println(lockedRunLostNothing()
                ? "Nothing was lost with the lock: every acknowledged deposit is in the balance."
                : "SOMETHING WAS LOST WITH THE LOCK: the balance and the acknowledgements disagree.");
    }
}
