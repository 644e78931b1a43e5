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

    /** Whether {@code op} may have taken effect as the change with {@code revision}. */
    boolean allows(Operation op, long revision) {
        int completedBefore = firstAtLeast(completions, op.invokedNanos());
        if (completedBefore > 0 && revision <= highestRevisionCompleted[completedBefore - 1]) {
            return false;
        }
        if (op.completedNanos() == Long.MAX_VALUE) {
            return true;
        }
        int invokedAfter = firstAtLeast(invocations, op.completedNanos() + 1);
        return invokedAfter >= invocations.length || revision <= lowestRevisionAllowedBy[invokedAfter];
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
