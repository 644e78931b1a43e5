package dev.robustmemory.benchmark;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How long and how often each workload is measured. System properties: {@code bench.quick=true} (a smoke run of about
 * four minutes instead of about fifteen), {@code bench.rounds}, {@code bench.windowMillis}, and {@code bench.only}
 * (comma-separated workload names, for working on one row, ratios to baselines left out print n/a; or goal ids
 * such as {@code G1}, each for the rows judged by that goal and the baselines of its ratios).
 *
 * <p>The warm-ups are fixed, by where the load runs: 3 s for a workload in this JVM (the component's rows still gain
 * after 1 s) and 10 s for one in child JVMs, 0.5 s and 3 s in a quick run. Four JVMs on two cores take each other's
 * CPU while they compile: after a 3 s warm-up the component read 0.06× SQLite on the 4-JVM mix, after 10 s 0.4×.
 * So a baseline is warmed as long as the rows divided by it, except in P9, which divides a multi-JVM row by an
 * in-process one, each warmed as its kind needs.
 *
 * @param rounds         measured rounds per workload; the table shows medians over them (the machines are noisy)
 * @param window         the length of one round
 * @param warmup         one unreported round before the others (JIT, caches) for a workload run in this JVM
 * @param multiJvmWarmup the same for a workload in child JVMs, whose start-up and compilation take longer
 * @param only           the workloads to run, by name or by goal id; empty for all
 */
record BenchSettings(int rounds, Duration window, Duration warmup, Duration multiJvmWarmup, Set<String> only) {

    static BenchSettings fromSystemProperties() {
        boolean quick = Boolean.getBoolean("bench.quick");
        int rounds = Integer.getInteger("bench.rounds", quick ? 3 : 5);
        Duration window = Duration.ofMillis(Long.getLong("bench.windowMillis", quick ? 1_000 : 4_000));
        Duration warmup = quick ? Duration.ofMillis(500) : Duration.ofSeconds(3);
        Duration multiJvmWarmup = Duration.ofSeconds(quick ? 3 : 10);
        Set<String> only = Arrays.stream(System.getProperty("bench.only", "").split(","))
                .map(String::trim).filter(name -> !name.isEmpty()).collect(Collectors.toUnmodifiableSet());
        return new BenchSettings(rounds, window, warmup, multiJvmWarmup, only);
    }

    /** Whether {@code only} is empty or names {@code workloadOrGoal} (a workload's name or a goal's id). */
    boolean includes(String workloadOrGoal) {
        return only.isEmpty() || only.contains(workloadOrGoal);
    }

    String describe() {
        return rounds + " rounds × " + window.toMillis() + " ms per workload after a warm-up round of "
               + warmup.toMillis() + " ms (" + multiJvmWarmup.toMillis() + " ms with child JVMs); every cell is the"
               + " median over the rounds, the fairness the worst round";
    }
}
