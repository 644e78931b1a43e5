package dev.robustmemory.benchmark;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * A workload's result over all its rounds: the median of each round's figure (the worst for fairness), or why there
 * is none.
 *
 * @param opsPerSecond    median throughput
 * @param p50Nanos        median of the rounds' median latencies
 * @param p99Nanos        median of the rounds' 99th percentile latencies
 * @param worstFairShare  the least served process's share in the round where it was least (1.0 for one process):
 *                        a fairness goal holds in every round, and a median would hide the round that misses it
 * @param unavailable     why the workload could not run, or null when it did
 */
record Summary(double opsPerSecond, double p50Nanos, double p99Nanos, double worstFairShare, String unavailable) {

    static Summary of(List<Measurement> rounds) {
        return new Summary(median(rounds, Measurement::operationsPerSecond),
                median(rounds, m -> Stats.percentile(m.latencyNanos(), 50)),
                median(rounds, m -> Stats.percentile(m.latencyNanos(), 99)),
                rounds.stream().mapToDouble(Measurement::minimumFairShare).min().orElse(Double.NaN), null);
    }

    static Summary unavailable(String reason) {
        return new Summary(Double.NaN, Double.NaN, Double.NaN, Double.NaN, reason);
    }

    boolean available() {
        return unavailable == null;
    }

    private static double median(List<Measurement> rounds, ToDoubleFunction<Measurement> figure) {
        return Stats.median(rounds.stream().map(figure::applyAsDouble).toList());
    }
}
