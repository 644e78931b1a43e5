package dev.robustmemory.benchmark;

import java.util.Map;
import java.util.OptionalDouble;

/** One goal that a workload row is judged by. */
sealed interface Criterion {

    /** The goal's id (P1…P9, M1, M2, G1…G4). */
    String goal();

    /** What is measured, e.g. "÷ raw-upsert". */
    String label();

    /** The goal as printed, e.g. "≥ 0.9". */
    String target();

    /** The measured value, empty when the row or a baseline it needs did not run. */
    OptionalDouble value(Summary row, Map<String, Summary> all);

    boolean passes(double value);

    /** Whether the row is judged (PASS or MISS) by {@link #passes}; a reported figure has no target to meet. */
    default boolean judged() {
        return true;
    }

    String format(double value);

    /**
     * Throughput ÷ a baseline's throughput measured in the same run; for a row whose every operation handles
     * {@code keysPerOperation} keys at once (a batch), its keys per second ÷ the baseline's operations per second.
     */
    record RatioTo(String goal, String baseline, double minimum, int keysPerOperation) implements Criterion {

        RatioTo(String goal, String baseline, double minimum) {
            this(goal, baseline, minimum, 1);
        }

        /** A ratio reported with no target ({@link #judged} false): a cost to read, not a goal to meet. */
        static RatioTo reported(String goal, String baseline) {
            return new RatioTo(goal, baseline, Double.NaN, 1);
        }

        @Override
        public String label() {
            return (keysPerOperation == 1 ? "÷ " : "keys ÷ ") + baseline;
        }

        @Override
        public String target() {
            return judged() ? "≥ " + Table.number(minimum) : "none";
        }

        @Override
        public boolean judged() {
            return !Double.isNaN(minimum);
        }

        @Override
        public OptionalDouble value(Summary row, Map<String, Summary> all) {
            Summary base = all.get(baseline);
            return row.available() && base != null && base.available() && base.opsPerSecond() > 0
                    ? OptionalDouble.of(row.opsPerSecond() * keysPerOperation / base.opsPerSecond())
                    : OptionalDouble.empty();
        }

        @Override
        public boolean passes(double value) {
            return value >= minimum;
        }

        @Override
        public String format(double value) {
            return Table.number(value) + "×";
        }
    }

    /** The least served JVM's operations ÷ an equal share of all operations, in the round least fair to it. */
    record FairShare(String goal, double minimum) implements Criterion {
        @Override
        public String label() {
            return "least JVM ÷ fair share, worst round";
        }

        @Override
        public String target() {
            return "≥ " + Table.number(minimum);
        }

        @Override
        public OptionalDouble value(Summary row, Map<String, Summary> all) {
            return row.available() ? OptionalDouble.of(row.worstFairShare()) : OptionalDouble.empty();
        }

        @Override
        public boolean passes(double value) {
            return value >= minimum;
        }

        @Override
        public String format(double value) {
            return Table.number(value);
        }
    }

    /** The median latency, at most a bound. */
    record MedianLatencyAtMost(String goal, double maximumNanos) implements Criterion {
        @Override
        public String label() {
            return "p50";
        }

        @Override
        public String target() {
            return "≤ " + Table.latency(maximumNanos);
        }

        @Override
        public OptionalDouble value(Summary row, Map<String, Summary> all) {
            return row.available() ? OptionalDouble.of(row.p50Nanos()) : OptionalDouble.empty();
        }

        @Override
        public boolean passes(double value) {
            return value <= maximumNanos;
        }

        @Override
        public String format(double value) {
            return Table.latency(value);
        }
    }
}
