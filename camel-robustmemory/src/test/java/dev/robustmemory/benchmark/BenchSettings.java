package dev.robustmemory.benchmark;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How long and how often each workload is measured. System properties: {@code bench.quick=true} (a smoke run of about
 * two minutes), {@code bench.rounds}, {@code bench.windowMillis}, and {@code bench.only} (comma-separated workload
 * names, for working on one row; ratios to baselines left out print n/a).
 *
 * @param rounds  measured rounds per workload; the table shows medians over them (the machines are noisy)
 * @param window  the length of one round
 * @param warmup  one unreported round before the others (JIT, caches, child JVM start-up effects)
 * @param only    the workloads to run; empty for all
 */
record BenchSettings(int rounds, Duration window, Duration warmup, Set<String> only) {

    static BenchSettings fromSystemProperties() {
        boolean quick = Boolean.getBoolean("bench.quick");
        int rounds = Integer.getInteger("bench.rounds", quick ? 3 : 5);
        Duration window = Duration.ofMillis(Long.getLong("bench.windowMillis", quick ? 1_000 : 4_000));
        Duration warmup = quick ? Duration.ofMillis(500) : Duration.ofSeconds(1);
        Set<String> only = Arrays.stream(System.getProperty("bench.only", "").split(","))
                .map(String::trim).filter(name -> !name.isEmpty()).collect(Collectors.toUnmodifiableSet());
        return new BenchSettings(rounds, window, warmup, only);
    }

    boolean includes(String workload) {
        return only.isEmpty() || only.contains(workload);
    }

    String describe() {
        return rounds + " rounds × " + window.toMillis() + " ms per workload after a " + warmup.toMillis()
               + " ms warm-up round; every cell is the median over the rounds";
    }
}
