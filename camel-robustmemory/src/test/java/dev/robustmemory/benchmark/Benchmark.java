package dev.robustmemory.benchmark;

import dev.robustmemory.benchmark.Criterion.FairShare;
import dev.robustmemory.benchmark.Criterion.MedianLatencyAtMost;
import dev.robustmemory.benchmark.Criterion.RatioTo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The throughput benchmark: the lease and lock goals (the component's workloads P1–P4, the lock's P5, P6), the
 * cross-process goals (P4 for own and for shared keys, fair to every JVM in every round; P7 ÷ SQLite; P8 read-mostly
 * ÷ SQLite; P9 four JVMs ÷ one JVM with as many threads), the batch store K1 (storeAll of 1,000 keys ÷ 1,000
 * single stores), the PostgreSQL memory's costs G1–G5 (÷ raw JDBC on the same embedded server, G5 the Camel
 * producer ÷ the memory API; reported, not
 * judged, but for G4's fairness) and, in the same run, the baselines they are judged against
 * (raw DuckDB on a held-open connection, the naive lock-open-operate-close pattern, SQLite in WAL mode with the same
 * mixes, the component in one JVM). Prints the machine, then one table: throughput, median and 99th percentile
 * latency, and each goal's ratio with PASS or MISS. A workload that cannot run (the component not built yet) prints
 * n/a.
 *
 * <p>Not part of the test run. From the repository root:
 * {@code mvn -B -q -pl camel-robustmemory -Pbenchmark verify}, with {@code -Dbench.quick=true} for a smoke run;
 * {@link BenchSettings} lists the other knobs.
 */
public final class Benchmark {

    private static final String RAW_UPSERT = "raw-upsert";
    private static final String RAW_SELECT = "raw-select";
    private static final String NAIVE_STORE = "naive-store-1jvm";
    private static final String NAIVE_LOAD = "naive-load-1jvm";
    private static final String NAIVE_MIXED_4JVM = "naive-mixed-4jvm-x4t";
    private static final String COMPONENT_LOAD = "component-load-1t";
    private static final String COMPONENT_STORE = "component-store-1t";
    /** M1 (not in issue 4): monitoring on ÷ off for the cheapest operation; the metrics should cost next to nothing. */
    private static final String COMPONENT_LOAD_UNMONITORED = "component-load-1t-unmonitored";
    private static final String SQLITE_STORE_16T = "sqlite-store-16t";
    /** M2 (not in issue 4): the synchronous option's rows, judged against the default (asynchronous) ones. */
    private static final String COMPONENT_MIXED_4JVM = "component-mixed-4jvm-x4t";
    private static final String SQLITE_MIXED_4JVM = "sqlite-mixed-4jvm-x4t";
    private static final String SQLITE_MIXED_SHARED_4JVM = "sqlite-mixed-4jvm-x4t-shared";
    private static final String SQLITE_READ_MOSTLY_4JVM = "sqlite-readmostly-4jvm-x4t";
    private static final String COMPONENT_MIXED_16T = "component-mixed-1jvm-x16t";
    private static final String PG_RAW_UPSERT = "pg-raw-upsert";
    private static final String PG_RAW_SELECT = "pg-raw-select";
    private static final String PG_RAW_MIXED_4T = "pg-raw-mixed-1jvm-x4t";
    private static final String PG_RAW_MIXED_4JVM = "pg-raw-mixed-4jvm-x4t";
    private static final String PG_MEMORY_MIXED_4T = "pg-memory-mixed-1jvm-x4t";
    private static final String PG_MEMORY_MIXED_16T = "pg-memory-mixed-1jvm-x16t";

    /** A table row: what is measured, and the goals it is judged by (none for a baseline). */
    private record Row(Workload workload, List<Criterion> criteria) {
        Row(Workload workload, Criterion... criteria) {
            this(workload, List.of(criteria));
        }
    }

    private Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        BenchSettings settings = BenchSettings.fromSystemProperties();
        Path workDirectory = Files.createTempDirectory("robustmemory-benchmark-");
        // Also on Ctrl-C: child JVMs leave a 72 MB DuckDB library copy each in here.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(workDirectory)));

        MachineInfo.describe().forEach(System.out::println);
        System.out.println("Method: " + settings.describe());
        List<Row> rows = selected(rows(), settings);
        Map<String, Summary> results = new LinkedHashMap<>();
        for (Row row : rows) {
            Workload workload = row.workload();
            System.out.printf("... %s (%d/%d)%n", workload.name(), results.size() + 1, rows.size());
            results.put(workload.name(), measure(workload, settings, workDirectory.resolve(workload.name())));
        }
        System.out.println();
        System.out.print(table(rows, results).render());
        System.out.println();
        printLegend(rows, results);
        BenchPostgres.describeIfUsed().ifPresent(System.out::println);
    }

    /** Baselines first: the component rows divide by them. */
    private static List<Row> rows() {
        return List.of(
                new Row(new InProcessWorkload(RAW_UPSERT, "raw DuckDB, held-open connection, autocommit INSERT OR"
                        + " REPLACE, 1 thread (the DuckDB upsert cost; P3's raw sequential upsert)",
                        Backend.RAW_DUCKDB, Mix.STORE, 1)),
                new Row(new InProcessWorkload(RAW_SELECT, "raw DuckDB, held-open connection, point SELECT, 1 thread",
                        Backend.RAW_DUCKDB, Mix.LOAD, 1)),
                new Row(new OpenCloseWorkload("duckdb-open-close")),
                new Row(new InProcessWorkload(NAIVE_STORE, "naive pattern (lock, open, upsert, close, release),"
                        + " 1 thread", Backend.NAIVE_PATTERN, Mix.STORE, 1)),
                new Row(new InProcessWorkload(NAIVE_LOAD, "naive pattern (lock, open, select, close, release),"
                        + " 1 thread", Backend.NAIVE_PATTERN, Mix.LOAD, 1)),
                new Row(new MultiJvmWorkload("naive-store-4jvm", "naive pattern store, 4 JVMs x 1 thread, total",
                        Backend.NAIVE_PATTERN, Mix.STORE, 4, 1)),
                new Row(new MultiJvmWorkload("naive-load-4jvm", "naive pattern load, 4 JVMs x 1 thread, total",
                        Backend.NAIVE_PATTERN, Mix.LOAD, 4, 1)),
                new Row(new MultiJvmWorkload(NAIVE_MIXED_4JVM, "naive pattern, 4 JVMs x 4 threads, 50/50"
                        + " store/load, total (P4's shape)", Backend.NAIVE_PATTERN, Mix.MIXED, 4, 4)),
                new Row(new InProcessWorkload(SQLITE_STORE_16T, "SQLite WAL, synchronous=FULL, 16 threads storing"
                        + " distinct keys, 1 JVM (P3's shape)", Backend.SQLITE, Mix.STORE, 16)),
                new Row(new MultiJvmWorkload(SQLITE_MIXED_4JVM, "SQLite WAL, synchronous=FULL, one file, 4 JVMs x 4"
                        + " threads, 50/50 store/load, total (P4's shape)", Backend.SQLITE, Mix.MIXED, 4, 4)),
                new Row(new MultiJvmWorkload(SQLITE_MIXED_SHARED_4JVM, "as sqlite-mixed-4jvm-x4t on one set of keys"
                        + " that every thread of every JVM stores and loads (P4's shared-key shape)", Backend.SQLITE,
                        Mix.MIXED_SHARED, 4, 4)),
                new Row(new MultiJvmWorkload(SQLITE_READ_MOSTLY_4JVM, "SQLite WAL, synchronous=FULL, one file, 4 JVMs"
                        + " x 4 threads, 90/10 load/store of own keys, total (P8's shape)", Backend.SQLITE,
                        Mix.READ_MOSTLY, 4, 4)),
                new Row(new LockAcquireWorkload("lock-uncontended"),
                        new MedianLatencyAtMost("P5", 5_000)),
                new Row(new LockHandOffWorkload("lock-hand-off"),
                        new MedianLatencyAtMost("P6", 1_000_000)),
                new Row(new InProcessWorkload(COMPONENT_STORE, "robustmemory producer, sequential store,"
                        + " 1 thread", Backend.COMPONENT, Mix.STORE, 1),
                        new RatioTo("P1", RAW_UPSERT, 0.9), new RatioTo("P1", NAIVE_STORE, 10)),
                new Row(new InProcessWorkload("component-storeall-1000-1t", "robustmemory producer, storeAll of "
                        + Mix.BATCH_KEYS + " keys per message, 1 thread", Backend.COMPONENT, Mix.STORE_ALL, 1),
                        new RatioTo("K1", COMPONENT_STORE, 10, Mix.BATCH_KEYS)),
                new Row(new InProcessWorkload(COMPONENT_LOAD, "robustmemory producer, sequential load,"
                        + " 1 thread", Backend.COMPONENT, Mix.LOAD, 1),
                        new RatioTo("P2", RAW_SELECT, 0.9), new RatioTo("P2", NAIVE_LOAD, 30),
                        new RatioTo("M1", COMPONENT_LOAD_UNMONITORED, 0.95)),
                new Row(new InProcessWorkload(COMPONENT_LOAD_UNMONITORED, "as component-load-1t with"
                        + " monitorLocks=false (the metrics' cost, by difference)", Backend.COMPONENT_UNMONITORED,
                        Mix.LOAD, 1)),
                new Row(new InProcessWorkload("component-load-1t-synchronous", "as component-load-1t with"
                        + " synchronous=true (the calling thread waits; no completion hand-off)",
                        Backend.COMPONENT_SYNCHRONOUS, Mix.LOAD, 1),
                        new RatioTo("M2", COMPONENT_LOAD, 1.0)),
                new Row(new InProcessWorkload("component-store-16t", "robustmemory producer, 16 threads storing"
                        + " distinct keys, 1 JVM", Backend.COMPONENT, Mix.STORE, 16),
                        new RatioTo("P3", RAW_UPSERT, 20), new RatioTo("P7", SQLITE_STORE_16T, 1.0)),
                new Row(new InProcessWorkload("component-mixed-1jvm-x4t", "robustmemory producer, 1 JVM x 4"
                        + " threads, 50/50 store/load: one holder's pace, without hand-offs", Backend.COMPONENT,
                        Mix.MIXED, 4)),
                new Row(new InProcessWorkload(COMPONENT_MIXED_16T, "robustmemory producer, 1 JVM x 16 threads,"
                        + " 50/50 store/load: the threads of component-mixed-4jvm-x4t in one process (P9's"
                        + " baseline)", Backend.COMPONENT, Mix.MIXED, 16)),
                new Row(new MultiJvmWorkload(COMPONENT_MIXED_4JVM, "robustmemory producer, one database,"
                        + " 4 JVMs x 4 threads, 50/50 store/load, total", Backend.COMPONENT, Mix.MIXED, 4, 4),
                        new RatioTo("P4", NAIVE_MIXED_4JVM, 20), new FairShare("P4", 0.5),
                        new RatioTo("P7", SQLITE_MIXED_4JVM, 1.0), new RatioTo("P9", COMPONENT_MIXED_16T, 0.8)),
                new Row(new MultiJvmWorkload("component-mixed-4jvm-x4t-synchronous", "as component-mixed-4jvm-x4t"
                        + " with synchronous=true", Backend.COMPONENT_SYNCHRONOUS, Mix.MIXED, 4, 4),
                        new RatioTo("M2", COMPONENT_MIXED_4JVM, 1.0), new FairShare("P4", 0.5),
                        new RatioTo("P7", SQLITE_MIXED_4JVM, 1.0)),
                new Row(new MultiJvmWorkload("component-mixed-4jvm-x4t-shared", "as component-mixed-4jvm-x4t on one"
                        + " set of keys that every thread of every JVM stores and loads, so each JVM reads the"
                        + " others' writes", Backend.COMPONENT, Mix.MIXED_SHARED, 4, 4),
                        new FairShare("P4", 0.5), new RatioTo("P7", SQLITE_MIXED_SHARED_4JVM, 1.0)),
                new Row(new MultiJvmWorkload("component-readmostly-4jvm-x4t", "robustmemory producer, one database,"
                        + " 4 JVMs x 4 threads, 90/10 load/store of own keys, total (a read-mostly memory)",
                        Backend.COMPONENT, Mix.READ_MOSTLY, 4, 4),
                        new RatioTo("P8", SQLITE_READ_MOSTLY_4JVM, 1.5), new FairShare("P4", 0.5)),
                // PostgreSQL: the memory ÷ raw JDBC on the same embedded server, started for these rows only. The
                // ratios have no targets: every writing work of the memory takes one row lock (all of them in a
                // line) and is five round trips in a transaction (lock timeout, grant and meta read; the load; the
                // upsert; revision; commit), a load three in a read-only snapshot that takes no row lock
                // (snapshot and meta read; the select; commit), a raw operation one, in parallel with the others; the
                // isolation across processes is what the memory is for, the figure is what it costs. Each row
                // right after its baseline: on a shared machine the load drifts in minutes, a ratio of rows
                // measured far apart would measure the drift.
                new Row(new InProcessWorkload(PG_RAW_UPSERT, "raw PostgreSQL, held-open connection, autocommit"
                        + " INSERT ... ON CONFLICT DO UPDATE on a table of the memory's shape, 1 thread",
                        Backend.RAW_POSTGRESQL, Mix.STORE, 1)),
                new Row(new InProcessWorkload("pg-memory-store-1t", "PostgresMemory API, one work per store"
                        + " (a transaction that takes the token row), pooled connection, 1 thread",
                        Backend.POSTGRESQL_MEMORY, Mix.STORE, 1),
                        RatioTo.reported("G1", PG_RAW_UPSERT)),
                new Row(new InProcessWorkload(PG_RAW_SELECT, "raw PostgreSQL, held-open connection, SELECT by"
                        + " primary key, 1 thread", Backend.RAW_POSTGRESQL, Mix.LOAD, 1)),
                new Row(new InProcessWorkload("pg-memory-load-1t", "PostgresMemory API, one reading work per load (a"
                        + " read-only snapshot, no token row), pooled connection, 1 thread", Backend.POSTGRESQL_MEMORY, Mix.LOAD, 1),
                        RatioTo.reported("G2", PG_RAW_SELECT)),
                new Row(new InProcessWorkload(PG_RAW_MIXED_4T, "raw PostgreSQL, 1 JVM x 4 threads, one connection"
                        + " each, 50/50 store/load", Backend.RAW_POSTGRESQL, Mix.MIXED, 4)),
                new Row(new InProcessWorkload(PG_MEMORY_MIXED_4T, "PostgresMemory API, 1 JVM x 4 threads, 50/50"
                        + " store/load: the stores queue on the token row", Backend.POSTGRESQL_MEMORY, Mix.MIXED, 4),
                        RatioTo.reported("G3", PG_RAW_MIXED_4T)),
                new Row(new InProcessWorkload("pg-component-mixed-1jvm-x4t", "the Camel producer with"
                        + " backend=postgresql, 1 JVM x 4 threads, 50/50 store/load: what Camel adds on PostgreSQL",
                        Backend.COMPONENT_POSTGRESQL, Mix.MIXED, 4),
                        RatioTo.reported("G5", PG_MEMORY_MIXED_4T)),
                new Row(new InProcessWorkload(PG_MEMORY_MIXED_16T, "PostgresMemory API, 1 JVM x 16 threads, 50/50"
                        + " store/load: the threads of pg-memory-mixed-4jvm-x4t in one process (G4's baseline)",
                        Backend.POSTGRESQL_MEMORY, Mix.MIXED, 16)),
                new Row(new MultiJvmWorkload(PG_RAW_MIXED_4JVM, "raw PostgreSQL, 4 JVMs x 4 threads, one connection"
                        + " each, 50/50 store/load, total", Backend.RAW_POSTGRESQL, Mix.MIXED, 4, 4)),
                new Row(new MultiJvmWorkload("pg-memory-mixed-4jvm-x4t", "PostgresMemory API, one memory, 4 JVMs x 4"
                        + " threads, 50/50 store/load, total", Backend.POSTGRESQL_MEMORY, Mix.MIXED, 4, 4),
                        RatioTo.reported("G4", PG_RAW_MIXED_4JVM), RatioTo.reported("G4", PG_MEMORY_MIXED_16T),
                        // Judged as P4 is: PostgreSQL queues a row lock's waiters in order, whoever they are.
                        new FairShare("G4", 0.5)));
    }

    /**
     * The rows {@code bench.only} names, by workload name or by a goal they are judged by (G1, P4): a row chosen by
     * a goal brings the baselines of that goal's ratios, so that they print; all rows when it names nothing.
     */
    private static List<Row> selected(List<Row> rows, BenchSettings settings) {
        Set<String> names = new HashSet<>();
        for (Row row : rows) {
            if (settings.includes(row.workload().name())) {
                names.add(row.workload().name());
            }
            for (Criterion criterion : row.criteria()) {
                if (settings.includes(criterion.goal())) {
                    names.add(row.workload().name());
                    if (criterion instanceof RatioTo ratio) {
                        names.add(ratio.baseline());
                    }
                }
            }
        }
        return rows.stream().filter(row -> names.contains(row.workload().name())).toList();
    }

    /** A warm-up round, then the measured rounds; a workload that fails is reported, not fatal to the run. */
    private static Summary measure(Workload workload, BenchSettings settings, Path directory) {
        try {
            Files.createDirectories(directory);
            try (Workload.Trial trial = workload.prepare(directory)) {
                trial.measure(workload.warmup(settings));
                List<Measurement> rounds = new ArrayList<>();
                for (int round = 0; round < settings.rounds(); round++) {
                    rounds.add(trial.measure(settings.window()));
                }
                return Summary.of(rounds);
            }
        } catch (BackendUnavailableException e) {
            return Summary.unavailable(e.getMessage());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return Summary.unavailable("failed: " + e);
        } finally {
            deleteRecursively(directory);
        }
    }

    private static Table table(List<Row> rows, Map<String, Summary> results) {
        Table table = new Table("workload", "ops/s", "p50", "p99", "goal", "compared", "measured", "target", "result");
        for (Row row : rows) {
            Summary summary = results.get(row.workload().name());
            String[] measured = summary.available()
                    ? new String[] {Table.number(summary.opsPerSecond()), Table.latency(summary.p50Nanos()),
                                    Table.latency(summary.p99Nanos())}
                    : new String[] {"n/a (" + headline(summary.unavailable()) + ")", "", ""};
            if (row.criteria().isEmpty()) {
                table.add(row.workload().name(), measured[0], measured[1], measured[2], "", "", "", "", "");
            }
            for (int i = 0; i < row.criteria().size(); i++) {
                Criterion criterion = row.criteria().get(i);
                OptionalDouble value = criterion.value(summary, results);
                boolean first = i == 0;
                table.add(first ? row.workload().name() : "", first ? measured[0] : "", first ? measured[1] : "",
                        first ? measured[2] : "", criterion.goal(), criterion.label(),
                        value.isPresent() ? criterion.format(value.getAsDouble()) : "n/a", criterion.target(),
                        value.isEmpty() ? "n/a" : !criterion.judged() ? "report"
                                : criterion.passes(value.getAsDouble()) ? "PASS" : "MISS");
            }
        }
        return table;
    }

    private static void printLegend(List<Row> rows, Map<String, Summary> results) {
        System.out.println("Workloads:");
        for (Row row : rows) {
            System.out.println("  " + row.workload().name() + ": " + row.workload().description());
        }
        results.forEach((name, summary) -> {
            if (!summary.available()) {
                System.out.println("  n/a " + name + ": " + summary.unavailable());
            }
        });
    }

    /** "component not available" or "failed": the reason's words before the details, which the legend prints. */
    private static String headline(String reason) {
        int colon = reason.indexOf(':');
        return colon < 0 ? reason : reason.substring(0, colon);
    }

    private static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete the benchmark's files in " + directory, e);
        }
    }
}
