package dev.robustmemory.benchmark;

import java.util.Arrays;
import java.util.List;

/**
 * What one round of a workload did.
 *
 * @param operations            operations completed in the round, all threads and processes together
 * @param elapsedNanos          how long the round ran (for several processes: the longest of them)
 * @param latencyNanos          the latency of every operation
 * @param operationsPerProcess  the operations of each process, for the fairness of multi-JVM workloads
 */
record Measurement(long operations, long elapsedNanos, long[] latencyNanos, long[] operationsPerProcess) {

    /** A round run inside one process. */
    static Measurement ofOneProcess(long operations, long elapsedNanos, long[] latencyNanos) {
        return new Measurement(operations, elapsedNanos, latencyNanos, new long[] {operations});
    }

    /** The rounds that several processes ran side by side, as one. */
    static Measurement ofProcesses(List<Measurement> perProcess) {
        long operations = perProcess.stream().mapToLong(Measurement::operations).sum();
        long elapsed = perProcess.stream().mapToLong(Measurement::elapsedNanos).max().orElse(0);
        long[] latencies = perProcess.stream().flatMapToLong(m -> Arrays.stream(m.latencyNanos())).toArray();
        long[] shares = perProcess.stream().mapToLong(Measurement::operations).toArray();
        return new Measurement(operations, elapsed, latencies, shares);
    }

    double operationsPerSecond() {
        return elapsedNanos == 0 ? 0 : operations * 1e9 / elapsedNanos;
    }

    /** How evenly the processes were served: the least served process's operations ÷ (total ÷ processes). */
    double minimumFairShare() {
        long least = Arrays.stream(operationsPerProcess).min().orElse(0);
        double fair = (double) operations / operationsPerProcess.length;
        return fair == 0 ? 0 : least / fair;
    }
}
