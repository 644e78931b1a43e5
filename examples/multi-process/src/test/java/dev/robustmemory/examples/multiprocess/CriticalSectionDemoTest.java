package dev.robustmemory.examples.multiprocess;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the whole critical-section demo, real worker JVMs and a real SIGKILL inside the block included. */
class CriticalSectionDemoTest {

    @TempDir
    Path directory;

    @Test
    void withoutTheLockDepositsAreLostAndWithItNone() throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        CriticalSectionReport report;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            report = new CriticalSectionDemo(directory.resolve("demo.duckdb"), out).run();
        }
        String transcript = output.toString(StandardCharsets.UTF_8);

        assertTrue(report.lockedRunLostNothing(), transcript);
        assertTrue(report.lockedAcks() > 0, transcript);
        // three processes each storing what it loaded 5 ms earlier, all at once: some deposits are overwritten
        assertTrue(report.unlockedLost() > 0, transcript);
    }
}
