package dev.robustmemory.history;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the saved logs of an earlier run again, with the checker as it is now: after a change to the checker, a run
 * it reported is judged again without repeating the run (whose timing a seed does not repeat). Runs only when the
 * system property {@code history.recheck} names a folder of logs, such as {@code target/history-runs/<seed>}.
 */
class HistoryRecheckTest {

    @Test
    @EnabledIfSystemProperty(named = "history.recheck", matches = ".+")
    void theSavedLogsOfARunHaveNoAnomalies() throws IOException {
        Path folder = Path.of(System.getProperty("history.recheck"));
        List<Path> logs;
        try (Stream<Path> files = Files.list(folder)) {
            logs = files.filter(file -> file.getFileName().toString().endsWith(".log")).sorted().toList();
        }
        assertFalse(logs.isEmpty(), "no .log file in " + folder.toAbsolutePath());

        History history = History.read(logs);
        long checking = System.nanoTime();
        Verdict verdict = HistoryChecker.check(history);
        System.out.printf("history recheck of %s: %s; checked in %d ms%n", folder, verdict.summary(),
                (System.nanoTime() - checking) / 1_000_000);

        assertTrue(verdict.valid(), verdict.report());
    }
}
