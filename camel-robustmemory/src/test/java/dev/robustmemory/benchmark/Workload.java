package dev.robustmemory.benchmark;

import java.nio.file.Path;
import java.time.Duration;

/** Something measured in rounds: one row of the benchmark table. */
interface Workload {

    /** The row's name in the table, unique in a run. */
    String name();

    /** What one operation is, printed in the legend under the table. */
    String description();

    /**
     * Sets the workload up in {@code directory} (fresh; deleted after the trial): databases, clients, child JVMs.
     *
     * @throws BackendUnavailableException when the system under test cannot run here
     */
    Trial prepare(Path directory) throws Exception;

    /** How long the unreported round before the measured ones runs. */
    default Duration warmup(BenchSettings settings) {
        return settings.warmup();
    }

    /** A prepared workload, measured once per round; closing it stops its threads and child JVMs. */
    interface Trial extends AutoCloseable {
        Measurement measure(Duration window) throws Exception;
    }
}
