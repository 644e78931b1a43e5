package dev.robustmemory.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where real time allows an unknown (or failed) change in the revision order: after every acknowledged operation
 * that completed before it was invoked, and before every one invoked after it ended (for an unknown one, after its JVM
 * was known dead); a read invoked then may see it, so the change may have that read's revision, not more.
 */
final class RealTimeBounds {

    private final long[] completions;
    private final long[] highestRevisionCompleted;
    private final long[] invocations;
    private final long[] lowestRevisionAllowedBy;

    RealTimeBounds(List<Step> acknowledged) {
        List<Step> byCompletion = new ArrayList<>(acknowledged);
        byCompletion.sort(Comparator.comparingLong(step -> step.op().completedNanos()));
        completions = new long[byCompletion.size()];
        highestRevisionCompleted = new long[byCompletion.size()];
        long highest = 0;
        for (int i = 0; i < byCompletion.size(); i++) {
            completions[i] = byCompletion.get(i).op().completedNanos();
            highest = Math.max(highest, byCompletion.get(i).revision());
            highestRevisionCompleted[i] = highest;
        }
        List<Step> byInvocation = new ArrayList<>(acknowledged);
        byInvocation.sort(Comparator.comparingLong(step -> step.op().invokedNanos()));
        invocations = new long[byInvocation.size()];
        lowestRevisionAllowedBy = new long[byInvocation.size()];
        long lowest = Long.MAX_VALUE;
        for (int i = byInvocation.size() - 1; i >= 0; i--) {
            Step step = byInvocation.get(i);
            invocations[i] = step.op().invokedNanos();
            lowest = Math.min(lowest, step.change() ? step.revision() - 1 : step.revision());
            lowestRevisionAllowedBy[i] = lowest;
        }
    }

    /** The revisions real time allows a change at: above {@code after}, up to {@code atMost}. */
    record Window(long after, long atMost) {

        boolean contains(long revision) {
            return revision > after && revision <= atMost;
        }
    }

    /** Where {@code op} may have taken effect as a change. */
    Window window(Operation op) {
        int completedBefore = firstAtLeast(completions, op.invokedNanos());
        long after = completedBefore > 0 ? highestRevisionCompleted[completedBefore - 1] : Long.MIN_VALUE;
        if (op.completedNanos() == Long.MAX_VALUE) {
            return new Window(after, Long.MAX_VALUE);
        }
        int invokedAfter = firstAtLeast(invocations, op.completedNanos() + 1);
        return new Window(after, invokedAfter >= invocations.length ? Long.MAX_VALUE
                                                                    : lowestRevisionAllowedBy[invokedAfter]);
    }

    /** The index of the first element not less than {@code value} in an ascending array. */
    private static int firstAtLeast(long[] sorted, long value) {
        int low = 0;
        int high = sorted.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (sorted[middle] < value) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }
}
