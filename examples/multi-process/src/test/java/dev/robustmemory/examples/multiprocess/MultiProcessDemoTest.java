package dev.robustmemory.examples.multiprocess;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the whole demo, real worker JVMs and a real SIGKILL included, on a temporary database. */
class MultiProcessDemoTest {

    @TempDir
    Path directory;

    @Test
    void nothingIsLostAndTheKilledWorkerIsReported() throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Report report;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            report = new MultiProcessDemo(directory.resolve("demo.duckdb"), out).run();
        }
        String transcript = output.toString(StandardCharsets.UTF_8);

        assertTrue(report.nothingLost(), transcript);
        assertEquals(report.acknowledged(), report.distinctAckedValues(), "no value acknowledged twice");
        assertEquals(0, report.counterBefore());
        report.acksByWorker().forEach((worker, acks) -> assertTrue(acks > 0, worker + " did no work: " + transcript));
        assertEquals(MultiProcessDemo.INCREMENTS_PER_FINISHING_WORKER, report.acksByWorker().get("worker-1"));
        assertTrue(report.diedHoldingLock(), transcript);
        Map<String, Object> event = report.cleanupEvent().orElseThrow(() -> new AssertionError(
                "the cleanup consumer reported nothing about the killed worker: " + transcript));
        assertEquals("ORPHANED", event.get("CamelRobustMemoryEventType"));
        assertEquals(report.killedPid(), event.get("CamelRobustMemoryHolderPid"));
        assertEquals(Boolean.TRUE, event.get("CamelRobustMemoryCleaned"));
    }
}
