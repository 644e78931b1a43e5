package dev.robustmemory.duckdb.lock;

import dev.robustmemory.duckdb.lock.LockHistory.Event;
import dev.robustmemory.duckdb.lock.LockHistory.Kind;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checker on hand-written histories, each anomaly one that it must find. */
class MutualExclusionCheckerTest {

    @Test
    void holdsOneAfterAnotherWithGrowingTokensAreValid() {
        MutualExclusionChecker.Verdict verdict = MutualExclusionChecker.check(List.of(
                enter(1, "a", 10, 100), exit(1, "a", 10, 200),
                enter(2, "b", 5, 150), exit(2, "b", 5, 400), // another name may overlap
                enter(2, "a", 12, 200), exit(2, "a", 12, 300)));
        assertTrue(verdict.valid(), verdict.anomaly().orElse(""));
        assertEquals(3, verdict.holds());
    }

    @Test
    void overlappingHoldsOfOneNameAreTwoHolders() {
        MutualExclusionChecker.Verdict verdict = MutualExclusionChecker.check(List.of(
                enter(1, "a", 10, 100), enter(2, "a", 11, 150), exit(1, "a", 10, 200), exit(2, "a", 11, 300)));
        assertFalse(verdict.valid());
        assertTrue(verdict.anomaly().get().startsWith("Two holders at once: process 1"), verdict.anomaly().get());
    }

    @Test
    void aHoldInsideALongerOneIsFoundThoughItEndsFirst() {
        MutualExclusionChecker.Verdict verdict = MutualExclusionChecker.check(List.of(
                enter(1, "a", 10, 100), enter(2, "a", 11, 150), exit(2, "a", 11, 160),
                enter(3, "a", 12, 170), exit(3, "a", 12, 180), exit(1, "a", 10, 500)));
        assertTrue(verdict.anomaly().orElseThrow().contains("process 2"), verdict.anomaly().get());
    }

    @Test
    void aKilledHoldMustNotBeginInsideAnother() {
        assertTrue(MutualExclusionChecker.check(List.of(
                enter(1, "a", 10, 100), enter(2, "a", 11, 300), exit(2, "a", 11, 400))).valid(),
                "process 1 was killed holding: the kernel freed the name before process 2 entered");
        assertFalse(MutualExclusionChecker.check(List.of(
                enter(2, "a", 11, 100), enter(1, "a", 12, 150), exit(2, "a", 11, 400))).valid());
    }

    @Test
    void aTokenThatDoesNotGrowIsAnAnomaly() {
        MutualExclusionChecker.Verdict verdict = MutualExclusionChecker.check(List.of(
                enter(1, "a", 10, 100), exit(1, "a", 10, 200), enter(2, "a", 10, 300), exit(2, "a", 10, 400)));
        assertTrue(verdict.anomaly().orElseThrow().startsWith("Token did not grow"), verdict.anomaly().get());
    }

    @Test
    void malformedHistoriesAreAnomalies() {
        assertFalse(MutualExclusionChecker.check(List.of(exit(1, "a", 10, 100))).valid());
        assertFalse(MutualExclusionChecker.check(List.of(enter(1, "a", 10, 100), exit(1, "a", 11, 200))).valid());
        assertFalse(MutualExclusionChecker.check(List.of(enter(1, "a", 10, 100), enter(1, "a", 11, 200))).valid());
    }

    private static Event enter(long process, String name, long token, long nanos) {
        return new Event(process, name, Kind.ENTER, token, nanos);
    }

    private static Event exit(long process, String name, long token, long nanos) {
        return new Event(process, name, Kind.EXIT, token, nanos);
    }
}
