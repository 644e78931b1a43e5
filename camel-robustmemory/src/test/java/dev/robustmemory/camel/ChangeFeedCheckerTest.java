package dev.robustmemory.camel;

import java.util.List;

import dev.robustmemory.memory.MemoryChange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The change feed checker finds what a broken consumer would do: a gap, a reordering, a change never made. */
class ChangeFeedCheckerTest {

    private static MemoryChange.Position at(long revision, String key) {
        return new MemoryChange.Position(revision, key);
    }

    private static final List<MemoryChange.Position> ACKNOWLEDGED = List.of(at(1, "a"), at(2, "b"), at(2, "c"),
            at(3, "a"));

    @Test
    void aKilledRunAndARestartThatEmitsSomeAgainIsFine() {
        assertEquals(List.of(), ChangeFeedChecker.problems(ACKNOWLEDGED,
                List.of(List.of(at(1, "a"), at(2, "b")), List.of(at(2, "b"), at(2, "c"), at(3, "a")))));
    }

    @Test
    void aGapIsFound() {
        List<String> problems = ChangeFeedChecker.problems(ACKNOWLEDGED,
                List.of(List.of(at(1, "a"), at(2, "b")), List.of(at(3, "a")))); // a resume that skipped 2/c
        assertTrue(problems.get(0).contains("(a gap)"), problems.toString());
    }

    @Test
    void aReorderingWithinARunIsFound() {
        List<String> problems = ChangeFeedChecker.problems(ACKNOWLEDGED,
                List.of(List.of(at(1, "a"), at(2, "c"), at(2, "b"), at(3, "a"))));
        assertTrue(problems.get(0).contains("emitted " + at(2, "b") + " after"), problems.toString());
    }

    @Test
    void aChangeThatWasNeverAcknowledgedIsFound() {
        assertEquals(1, ChangeFeedChecker.problems(ACKNOWLEDGED,
                List.of(List.of(at(1, "a"), at(2, "b"), at(2, "c"), at(3, "a"), at(4, "rolled-back")))).size());
    }
}
