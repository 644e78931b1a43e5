package dev.robustmemory.benchmark;

import java.util.Arrays;
import java.util.List;

/** Medians across rounds and percentiles of latency samples. */
final class Stats {

    private Stats() {
    }

    /** The median of the values (the mean of the middle two for an even count); NaN when there are none. */
    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /**
     * The nearest-rank percentile ({@code 0 < percent <= 100}) of the samples; NaN when there are none. Sorts a copy,
     * so the caller's array keeps its order.
     */
    static double percentile(long[] samples, double percent) {
        if (samples.length == 0) {
            return Double.NaN;
        }
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
