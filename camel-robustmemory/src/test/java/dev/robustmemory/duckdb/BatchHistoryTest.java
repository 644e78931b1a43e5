package dev.robustmemory.duckdb;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batch history checker on hand-written histories: it passes valid ones and names each kind of anomaly. */
class BatchHistoryTest {

    private static final String ALL_ABSENT = " - absent absent absent";

    private static String load(long revision, long invoked, long completed, String state) {
        return "OP load " + revision + " " + invoked + " " + completed + " - " + state + " " + state + " " + state;
    }

    private static List<String> check(Set<String> killed, String... lines) {
        return BatchHistory.check(BatchHistory.parse(List.of(lines)), killed);
    }

    private static void assertOneAnomaly(String kind, String... lines) {
        List<String> anomalies = check(Set.of(), lines);
        assertEquals(1, anomalies.size(), anomalies::toString);
        assertTrue(anomalies.get(0).startsWith(kind), anomalies::toString);
    }

    @Test
    void aValidHistoryWithOverlapsDeletesAndAnUnacknowledgedStoreOfAKilledProcessPasses() {
        List<String> anomalies = check(Set.of("p2t0"),
                "OP load 0 1 2" + ALL_ABSENT,
                "OP store 1 3 10 p1t0-0",
                load(1, 4, 11, "p1t0-0@1"), // overlaps the store: may see it
                "OP delete 2 12 13 3",
                "OP delete 2 14 15 0", // found nothing: a read
                load(3, 16, 17, "p2t0-7@3"), // the killed process's store, never acknowledged
                "OP store 4 18 19 p1t0-1",
                load(4, 20, 21, "p1t0-1@4"));
        assertEquals(List.of(), anomalies);
    }

    @Test
    void aLoadThatSeesTheGroupHalfWrittenIsTorn() {
        assertOneAnomaly("TORN", "OP store 1 1 2 p1t0-0", "OP store 2 3 4 p1t0-1",
                "OP load 2 5 6 - p1t0-1@2 p1t0-0@1 p1t0-1@2");
    }

    @Test
    void aLoadThatMissesAStoreCompletedBeforeItIsStale() {
        assertOneAnomaly("STALE", "OP store 1 1 2 p1t0-0", "OP store 2 3 4 p1t0-1", load(1, 5, 6, "p1t0-0@1"));
    }

    @Test
    void aChangeOrderedBeforeOneThatCompletedEarlierIsStale() {
        assertOneAnomaly("STALE", "OP store 2 1 2 p1t0-0", "OP store 1 3 4 p1t1-0");
    }

    @Test
    void twoAcknowledgedChangesOfOneRevisionAreADuplicate() {
        List<String> anomalies = check(Set.of(), "OP store 1 1 5 p1t0-0", "OP store 1 2 6 p1t1-0");
        assertTrue(anomalies.stream().anyMatch(anomaly -> anomaly.startsWith("DUPLICATE")), anomalies::toString);
    }

    @Test
    void aLoadThatDoesNotShowTheChangeOfItsRevisionIsWrong() {
        // the group was deleted at revision 2, yet a load at revision 2 still finds the store of revision 1
        assertOneAnomaly("WRONG_STATE", "OP store 1 1 2 p1t0-0", "OP delete 2 3 4 3", load(2, 5, 6, "p1t0-0@1"));
    }

    @Test
    void aValueNoStoreWroteIsImpossible() {
        assertOneAnomaly("IMPOSSIBLE", load(3, 1, 2, "p9t0-1@3"));
    }
}
