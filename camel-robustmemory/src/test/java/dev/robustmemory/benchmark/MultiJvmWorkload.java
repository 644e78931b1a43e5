package dev.robustmemory.benchmark;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A key/value mix run by {@code jvms} child JVMs with {@code threadsPerJvm} threads each, all on one database (a file
 * in the row's directory, or tables on the benchmark's PostgreSQL server).
 * The children start once per trial and run every round on command, side by side; the round's throughput is their
 * operations together over the longest child's time, and the fairness is the least served child's share.
 */
record MultiJvmWorkload(String name, String description, Backend backend, Mix mix, int jvms, int threadsPerJvm)
        implements Workload {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    /** Longer than in-process: several JVMs compile at once, on the same cores as the load. */
    @Override
    public Duration warmup(BenchSettings settings) {
        return settings.multiJvmWarmup();
    }

    @Override
    public Trial prepare(Path directory) throws Exception {
        // Opening in this JVM first creates the database once, preloads it, and finds an unavailable backend
        // before any child starts.
        try (BackendSession session = backend.open(directory)) {
            mix.preload(session);
        }
        List<ChildProcess> children = new ArrayList<>();
        try {
            for (int jvm = 0; jvm < jvms; jvm++) {
                children.add(ChildProcess.start(directory.resolve("tmp"), backend.childProperties(), BenchChild.class,
                        List.of("load", backend.name(), mix.name(), Integer.toString(threadsPerJvm),
                                directory.toString(), "j" + jvm)));
            }
            for (ChildProcess child : children) {
                child.awaitLine("READY", START_TIMEOUT);
            }
        } catch (Exception e) {
            closeAll(children);
            throw e;
        }
        return new Trial() {
            private int round;

            @Override
            public Measurement measure(Duration window) throws Exception {
                round++;
                List<Path> latencyFiles = new ArrayList<>();
                for (int i = 0; i < children.size(); i++) {
                    Path file = directory.resolve("latencies-" + i + "-" + round + ".bin");
                    latencyFiles.add(file);
                    children.get(i).tell("run " + window.toMillis() + " " + file);
                }
                List<Measurement> perChild = new ArrayList<>();
                for (int i = 0; i < children.size(); i++) {
                    String[] done = children.get(i).awaitLine("DONE", window.plus(START_TIMEOUT)).split(" ");
                    perChild.add(Measurement.ofOneProcess(Long.parseLong(done[1]), Long.parseLong(done[2]),
                            BenchChild.readLatencies(latencyFiles.get(i))));
                }
                return Measurement.ofProcesses(perChild);
            }

            @Override
            public void close() throws Exception {
                closeAll(children);
            }
        };
    }

    private static void closeAll(List<ChildProcess> children) throws Exception {
        for (ChildProcess child : children) {
            child.close();
        }
    }
}
