package dev.robustmemory.history;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker on hand-written histories, in the log format the recorder writes (times in nanoseconds, small here).
 * Each anomaly kind has a history that must fail with that kind and no other; the valid ones include concurrency,
 * revision gaps, failures and operations left unknown by a kill.
 */
class HistoryCheckerTest {

    private static Verdict check(String history) {
        return HistoryChecker.check(History.parse(history));
    }

    private static void assertValid(String history) {
        Verdict verdict = check(history);
        assertTrue(verdict.valid(), verdict.report());
    }

    /** The history must fail, with this kind only, naming these operations (process#id) first. */
    private static Verdict assertAnomaly(Anomaly.Kind kind, String history, String... involved) {
        Verdict verdict = check(history);
        assertFalse(verdict.valid(), "must fail with " + kind.title());
        assertEquals(Set.of(kind), verdict.kinds().keySet(), verdict.report());
        Anomaly smallest = verdict.smallest().orElseThrow();
        for (int i = 0; i < involved.length; i++) {
            Invocation call = smallest.operations().get(i).call();
            assertEquals(involved[i], call.process() + "#" + call.id(), verdict.report());
        }
        return verdict;
    }

    // ---- valid histories ----
    @Test
    void everyOperationInSequence() {
        assertValid("""
                  0 p1 t0 1 invoke store a/1 w1-1 5000 sync
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke load a/1 - 0 async
                 30 p1 t0 2 ok 1 w1-1@1
                 40 p1 t0 3 invoke cas a/1 w1-3@1
                 50 p1 t0 3 ok 2 written@2
                 60 p1 t0 4 invoke cas a/1 w1-4@1
                 70 p1 t0 4 ok 2 conflict@2
                 80 p1 t0 5 invoke increment a/1 3
                 90 p1 t0 5 ok 2 nonnumeric
                100 p1 t0 6 invoke increment a/2 3
                110 p1 t0 6 ok 3 3@3
                120 p1 t0 7 invoke increment a/2 -1
                130 p1 t0 7 ok 4 2@4
                140 p1 t0 8 invoke exists b/1 -
                150 p1 t0 8 ok 4 false
                160 p1 t0 9 invoke cas b/1 w1-9@0
                170 p1 t0 9 ok 5 written@5
                180 p1 t0 10 invoke keys a/ -
                190 p1 t0 10 ok 5 [a/1,a/2]
                200 p1 t0 11 invoke size - -
                210 p1 t0 11 ok 5 3
                220 p1 t0 12 invoke delete b/1 -
                230 p1 t0 12 ok 6 true
                240 p1 t0 13 invoke delete b/1 -
                250 p1 t0 13 ok 6 false
                260 p1 t0 14 invoke clear a/ -
                270 p1 t0 14 ok 7 2
                280 p1 t0 15 invoke clear a/ -
                290 p1 t0 15 ok 7 0
                300 p1 t0 16 invoke size - -
                310 p1 t0 16 ok 7 0
                """);
    }

    @Test
    void overlappingOperationsMayTakeEffectInEitherOrder() {
        // p2's store was invoked first but committed second; the load overlaps both and saw only the first.
        assertValid("""
                  0 p2 t0 1 invoke store a/1 w2-1
                 10 p1 t0 1 invoke store a/1 w1-1
                 15 p3 t0 1 invoke load a/1 -
                 20 p1 t0 1 ok 1 written@1
                 30 p2 t0 1 ok 2 written@2
                 35 p3 t0 1 ok 1 w1-1@1
                 40 p3 t0 2 invoke load a/1 -
                 50 p3 t0 2 ok 2 w2-1@2
                """);
    }

    @Test
    void revisionsMayHaveGaps() {
        assertValid("""
                  0 p1 t0 1 invoke increment n 1
                 10 p1 t0 1 ok 3 1@3
                 20 p1 t0 2 invoke increment n 1
                 30 p1 t0 2 ok 9 2@9
                 40 p1 t0 3 invoke load n -
                 50 p1 t0 3 ok 9 2@9
                """);
    }

    @Test
    void failedOperationsThatChangedNothing() {
        assertValid("""
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke store a/1 w1-2 0 sync
                 30 p1 t0 2 fail dev.robustmemory.duckdb.lock.LockTimeoutException Lock held by another process
                 40 p1 t0 3 invoke delete a/1 - 1 async
                 50 p1 t0 3 fail dev.robustmemory.duckdb.lock.LockTimeoutException Lock held by another process
                 60 p1 t0 4 invoke load a/1 -
                 70 p1 t0 4 ok 1 w1-1@1
                """);
    }

    @Test
    void anUnknownChangeOfAThreadThatWentOnTookEffectBeforeItsNextInvocationOrNotAtAll() {
        // p1's store failed with an unknown outcome (its commit's answer was lost) and p1 went on: its load saw no
        // store at revision 1, so the store cannot be the one p2 read at revision 2.
        Verdict verdict = check("""
                  0 p1 t0 1 invoke store b/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke store a/1 w1-2
                 30 p1 t0 3 invoke load a/1 -
                 40 p1 t0 3 ok 1 absent
                 50 p2 t0 1 invoke load a/1 -
                 60 p2 t0 1 ok 2 w1-2@2
                """);
        assertFalse(verdict.valid(), "the store took effect after its thread went on");

        assertValid("""
                  0 p1 t0 1 invoke store b/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke store a/1 w1-2
                 30 p1 t0 3 invoke load a/1 -
                 40 p1 t0 3 ok 2 w1-2@2
                 50 p2 t0 1 invoke load a/1 -
                 60 p2 t0 1 ok 2 w1-2@2
                """);
    }

    @Test
    void anUnknownStoreThatWasReadTookEffectAtTheVersionRead() {
        Verdict verdict = check("""
                  0 p1 t0 1 invoke store a/1 w1-1
                  5 p2 t0 1 invoke store b/1 w2-1
                 10 p2 t0 1 ok 1 written@1
                 20 p1 killed
                 30 p2 t0 2 invoke load a/1 -
                 40 p2 t0 2 ok 2 w1-1@2
                """);
        assertTrue(verdict.valid(), verdict.report());
        assertEquals(1, verdict.unknownTookEffect());
    }

    @Test
    void unknownOperationsMayHaveHadNoEffect() {
        Verdict verdict = check("""
                  0 p1 t0 1 invoke store a/1 w1-1
                  0 p1 t1 2 invoke increment n 5
                  0 p1 t2 3 invoke clear a/ -
                 20 p1 killed
                 30 p2 t0 1 invoke size - -
                 40 p2 t0 1 ok 0 0
                """);
        assertTrue(verdict.valid(), verdict.report());
        assertEquals(3, verdict.unknown());
        assertEquals(0, verdict.unknownTookEffect());
    }

    @Test
    void anUnknownIncrementExplainsTheNextIncrementsResult() {
        Verdict verdict = check("""
                  0 p1 t0 1 invoke increment n 1
                 10 p1 t0 1 ok 1 1@1
                 20 p1 t0 2 invoke increment n 10
                 30 p1 killed
                 40 p2 t0 1 invoke increment n 100
                 50 p2 t0 1 ok 3 111@3
                """);
        assertTrue(verdict.valid(), verdict.report());
        assertEquals(1, verdict.unknownTookEffect());
    }

    @Test
    void twoUnknownIncrementsOfOneBatchExplainTheNextRead() {
        Verdict verdict = check("""
                  0 p1 t0 1 invoke increment n 1
                  0 p1 t1 2 invoke increment n 2
                  0 p1 t2 3 invoke increment n 4
                 30 p1 killed
                 40 p2 t0 1 invoke increment n 100
                 50 p2 t0 1 ok 8 105@8
                """);
        assertTrue(verdict.valid(), verdict.report());
        assertEquals(2, verdict.unknownTookEffect());
    }

    @Test
    void anUnknownDeleteExplainsAnAbsentKey() {
        assertValid("""
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke delete a/1 -
                 30 p1 killed
                 40 p2 t0 1 invoke exists a/1 -
                 50 p2 t0 1 ok 2 false
                """);
    }

    @Test
    void anUnknownClearExplainsTheSize() {
        assertValid("""
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke store b/1 w1-2
                 30 p1 t0 2 ok 2 written@2
                 40 p1 t0 3 invoke clear a/ -
                 50 p1 killed
                 60 p2 t0 1 invoke store b/2 w2-1
                 70 p2 t0 1 ok 4 written@4
                 80 p2 t0 2 invoke size - -
                 90 p2 t0 2 ok 4 2
                """);
    }

    @Test
    void anUnknownStoreThatNobodyReadExplainsANonNumericIncrement() {
        assertValid("""
                  0 p1 t0 1 invoke increment n 1
                 10 p1 t0 1 ok 1 1@1
                 20 p1 t0 2 invoke store n w1-2
                 30 p1 killed
                 40 p2 t0 1 invoke increment n 1
                 50 p2 t0 1 ok 2 nonnumeric
                """);
    }

    @ParameterizedTest(name = "the conflict names version {0}")
    @ValueSource(longs = {6, 5})
    void unknownChangesOfAKilledBatchExplainASizeAndALaterConflict(long storeVersion) {
        // The shape of a torture run: p2's last batch committed (its delete and its store took 5 and 6, in either
        // order) but p2 was killed before it heard back; p3 counted the memory at 6, and a conflict read later named
        // the store's version. The size alone fits the delete at 5 as well as at 6: only the conflict tells which
        // revision was the store's. p1, killed long before, left more unknown stores than the search considers at
        // once; real time leaves them revisions 1 and 2 only (rolled back, or theirs), far from what p3 saw.
        assertValid(unknownStoresOfAnEarlierKill("p1", RevisionReplay.MAX_CANDIDATES) + """
                 20 p2 t0 1 invoke store a/3 w2-1
                 30 p2 t0 1 ok 3 written@3
                 40 p2 t0 2 invoke store b/1 w2-2
                 50 p2 t0 2 ok 4 written@4
                 60 p2 t0 3 invoke delete b/1 -
                 60 p2 t1 4 invoke store a/3 w2-4
                 65 p3 t0 1 invoke size - -
                 70 p2 killed
                 80 p3 t0 1 ok 6 1
                 90 p3 t0 2 invoke store c/1 w3-2
                100 p3 t0 2 ok 7 written@7
                110 p3 t0 3 invoke cas a/3 w3-3@0
                120 p3 t0 3 ok 7 conflict@%d
                """.formatted(storeVersion));
    }

    @Test
    void anUnknownStoreStandsAtTheVersionAConflictNamedFarBelowTheNextChange() {
        // Revisions 4 to 8 went to rolled-back batches; nothing but the conflict tells of revision 3.
        Verdict verdict = check("""
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 2 written@2
                 20 p1 t0 2 invoke store a/1 w1-2
                 30 p1 killed
                 40 p2 t0 1 invoke store b/1 w2-1
                 50 p2 t0 1 ok 9 written@9
                 60 p2 t0 2 invoke cas a/1 w2-2@2
                 70 p2 t0 2 ok 9 conflict@3
                """);
        assertTrue(verdict.valid(), verdict.report());
        assertEquals(1, verdict.unknownTookEffect());
    }

    /** Log lines of a JVM killed at 10 with this many unknown stores in flight, of keys nobody else uses. */
    private static String unknownStoresOfAnEarlierKill(String process, int stores) {
        StringBuilder lines = new StringBuilder();
        for (int id = 1; id <= stores; id++) {
            lines.append("0 ").append(process).append(" t").append(id).append(' ').append(id)
                    .append(" invoke store z/").append(id).append(" w-").append(process).append('-').append(id)
                    .append('\n');
        }
        return lines.append("10 ").append(process).append(" killed\n").toString();
    }

    // ---- one history per anomaly kind ----
    @Test
    void duplicateRevision() {
        assertAnomaly(Anomaly.Kind.DUPLICATE_REVISION, """
                  0 p1 t0 1 invoke store a/1 w1-1
                  0 p2 t0 1 invoke store b/1 w2-1
                 10 p1 t0 1 ok 1 written@1
                 10 p2 t0 1 ok 1 written@1
                """);
    }

    @Test
    void versionThatIsNotTheRevision() {
        // The per-key version of old: a store after a delete restarted at version 1.
        assertAnomaly(Anomaly.Kind.VERSION_NOT_REVISION, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke delete a/1 -
                 30 p1 t0 2 ok 2 true
                 40 p1 t0 3 invoke store a/1 w1-3
                 50 p1 t0 3 ok 3 written@1
                """, "p1#3");
    }

    @Test
    void realTimeViolation() {
        // p2's store began after p1's had completed, yet is ordered before it.
        assertAnomaly(Anomaly.Kind.REAL_TIME_VIOLATION, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 5 written@5
                 20 p2 t0 1 invoke store b/1 w2-1
                 30 p2 t0 1 ok 4 written@4
                """, "p2#1", "p1#1");
    }

    @Test
    void staleReadByRevision() {
        assertAnomaly(Anomaly.Kind.STALE_READ, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke store a/1 w1-2
                  0 p2 t0 1 invoke load a/1 -
                 30 p1 t0 2 ok 2 written@2
                 40 p2 t0 1 ok 2 w1-1@1
                """, "p2#1", "p1#2");
    }

    @Test
    void staleReadByRealTime() {
        // Consistent with its own revision, but that revision is older than a change completed before it began.
        assertAnomaly(Anomaly.Kind.STALE_READ, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke store a/1 w1-2
                 30 p1 t0 2 ok 2 written@2
                 40 p2 t0 1 invoke load a/1 -
                 50 p2 t0 1 ok 1 w1-1@1
                """, "p2#1", "p1#2");
    }

    @Test
    void lostUpdateOfAnIncrement() {
        // Both increments read 0: the second one wrote over the first without seeing it.
        assertAnomaly(Anomaly.Kind.LOST_UPDATE, """
                  0 p1 t0 1 invoke increment n 1
                  0 p2 t0 1 invoke increment n 1
                 10 p1 t0 1 ok 1 1@1
                 20 p2 t0 1 ok 2 1@2
                """, "p2#1", "p1#1");
    }

    @Test
    void lostUpdateOfACompareAndSet() {
        assertAnomaly(Anomaly.Kind.LOST_UPDATE, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke store a/1 w1-2
                 20 p2 t0 1 invoke cas a/1 w2-1@1
                 30 p1 t0 2 ok 2 written@2
                 40 p2 t0 1 ok 3 written@3
                """, "p2#1", "p1#2");
    }

    @Test
    void readOfAFailedWrite() {
        assertAnomaly(Anomaly.Kind.READ_OF_FAILED_WRITE, """
                  0 p1 t0 1 invoke store a/1 w1-1 0 async
                 10 p1 t0 1 fail dev.robustmemory.duckdb.lock.LockTimeoutException Lock held by another process
                 20 p2 t0 1 invoke load a/1 -
                 30 p2 t0 1 ok 1 w1-1@1
                """, "p2#1", "p1#1");
    }

    @Test
    void failedIncrementThatTookEffect() {
        assertAnomaly(Anomaly.Kind.FAILED_WRITE_TOOK_EFFECT, """
                  0 p1 t0 1 invoke increment n 10 1 sync
                 10 p1 t0 1 fail dev.robustmemory.duckdb.lock.LockTimeoutException Lock held by another process
                 20 p2 t0 1 invoke increment n 1
                 30 p2 t0 1 ok 2 11@2
                """, "p2#1", "p1#1");
    }

    @Test
    void failedClearThatTookEffect() {
        assertAnomaly(Anomaly.Kind.FAILED_WRITE_TOOK_EFFECT, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p2 t0 1 invoke clear a/ - 0 async
                 30 p2 t0 1 fail java.util.concurrent.CancellationException cancelled
                 40 p1 t0 2 invoke keys a/ -
                 50 p1 t0 2 ok 3 []
                """, "p1#2", "p2#1");
    }

    @Test
    void resurrectedKey() {
        // The delete's batch neighbour still held the old value and wrote it back.
        assertAnomaly(Anomaly.Kind.RESURRECTED_KEY, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke clear a/ -
                 30 p1 t0 2 ok 2 1
                 40 p2 t0 1 invoke store b/1 w2-1
                 50 p2 t0 1 ok 3 written@3
                 60 p2 t0 2 invoke load a/1 -
                 70 p2 t0 2 ok 3 w1-1@1
                """, "p2#2", "p1#2");
    }

    @Test
    void resurrectedKeyInAListing() {
        assertAnomaly(Anomaly.Kind.RESURRECTED_KEY, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke delete a/1 -
                 30 p1 t0 2 ok 2 true
                 40 p1 t0 3 invoke keys a/ -
                 50 p1 t0 3 ok 2 [a/1]
                """, "p1#3", "p1#2");
    }

    @Test
    void wrongCountOfAClear() {
        assertAnomaly(Anomaly.Kind.WRONG_COUNT, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke store a/2 w1-2
                 30 p1 t0 2 ok 2 written@2
                 40 p1 t0 3 invoke clear a/ -
                 50 p1 t0 3 ok 3 1
                """, "p1#3");
    }

    @Test
    void wrongSize() {
        assertAnomaly(Anomaly.Kind.WRONG_COUNT, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke size - -
                 30 p1 t0 2 ok 1 2
                """, "p1#2");
    }

    @Test
    void wrongKeys() {
        assertAnomaly(Anomaly.Kind.WRONG_KEYS, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 10 p1 t0 1 ok 1 written@1
                 20 p1 t0 2 invoke keys a/ -
                 30 p1 t0 2 ok 1 [a/1,a/9]
                """, "p1#2");
    }

    @Test
    void impossibleReadOfAValueNobodyWrote() {
        assertAnomaly(Anomaly.Kind.IMPOSSIBLE_READ, """
                  0 p1 t0 1 invoke load a/1 -
                 10 p1 t0 1 ok 0 w7-7@1
                """, "p1#1");
    }

    // ---- unknown operations explain only what they can ----
    @Test
    void notAfterTheObserverCompleted() {
        // p1's increment began after p2's had completed: it cannot explain p2's result.
        assertAnomaly(Anomaly.Kind.IMPOSSIBLE_READ, """
                  0 p2 t0 1 invoke increment n 1
                 10 p2 t0 1 ok 2 11@2
                 20 p1 t0 1 invoke increment n 10
                 30 p1 killed
                """, "p2#1");
    }

    @Test
    void notAfterTheirJvmDied() {
        // p1 was dead before p2 stored b/1 at revision 2, so its store cannot be at revision 3.
        assertAnomaly(Anomaly.Kind.REAL_TIME_VIOLATION, """
                  0 p1 t0 1 invoke store a/1 w1-1
                 20 p1 killed
                 30 p2 t0 1 invoke store b/1 w2-1
                 40 p2 t0 1 ok 2 written@2
                 50 p2 t0 2 invoke load a/1 -
                 60 p2 t0 2 ok 3 w1-1@3
                """, "p2#1", "p1#1");
    }

    @Test
    void notWithoutARevisionOfTheirOwn() {
        // Revisions 1 and 2 are both taken: the unknown increment has no revision between them.
        assertAnomaly(Anomaly.Kind.IMPOSSIBLE_READ, """
                  0 p1 t0 1 invoke increment n 1
                  0 p2 t0 1 invoke increment n 1
                  5 p2 t0 1 ok 1 1@1
                 10 p1 killed
                 20 p2 t0 2 invoke increment n 1
                 30 p2 t0 2 ok 2 3@2
                """, "p2#2");
    }

    @Test
    void notMoreThanOnce() {
        assertAnomaly(Anomaly.Kind.IMPOSSIBLE_READ, """
                  0 p1 t0 1 invoke increment n 5
                 10 p1 killed
                 20 p2 t0 1 invoke increment n 1
                 30 p2 t0 1 ok 3 6@3
                 40 p2 t0 2 invoke increment n 1
                 50 p2 t0 2 ok 5 12@5
                """, "p2#2");
    }
}
