package dev.robustmemory.model;

import dev.robustmemory.memory.StoredValue;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checker on hand-written histories: each anomaly it exists for must be reported, and a good history pass. */
class ModelHistoryCheckerTest {

    private static final StoredValue ONE = StoredValue.json("1");
    private static final StoredValue TWO = StoredValue.json("2");
    private static final Work STORE_A = Work.of(new Op.Store("a", ONE, OptionalLong.empty()));
    private static final Work STORE_B = Work.of(new Op.Store("b", TWO, OptionalLong.empty()));
    private static final Work LOAD_A = Work.of(new Op.Load("a"));
    private static final Work INCREMENT_A = Work.of(new Op.Increment("a", 1));

    /** A work that committed, called at {@code invoked} and answered at {@code completed}. */
    private static WorkRecord ran(Work work, long start, List<Object> answers, long end, long invoked, long completed) {
        return new WorkRecord(work, new Work.Observation(start, answers, end), null, 1, invoked, completed);
    }

    private static WorkRecord threw(Work work, long start, List<Object> answers, long end) {
        Work.Observation observed = new Work.Observation(start, answers, end);
        return new WorkRecord(work, observed, new Work.IntendedFailure(observed), 1, 0, 10);
    }

    private static Answers.Versioned at(StoredValue value, long version) {
        return new Answers.Versioned(value, version, 0);
    }

    private static void assertReported(String problem, List<WorkRecord> history,
                                       Map<String, Answers.Versioned> finalState) {
        String message = assertThrows(HistoryChecker.HistoryMismatch.class,
                () -> HistoryChecker.check(history, finalState, LiveMemory.MAX_VALUE_SIZE)).getMessage();
        assertTrue(message.contains(problem), message);
    }

    @Test
    void worksThatOverlappedAreReplayedInRevisionOrderNotCallOrder() {
        List<WorkRecord> history = List.of(
                ran(STORE_A, 1, List.of(at(ONE, 2)), 2, 0, 10),
                ran(LOAD_A, 0, List.of("absent"), 0, 0, 10),
                ran(STORE_B, 0, List.of(at(TWO, 1)), 1, 0, 10));

        assertDoesNotThrow(() -> HistoryChecker.check(history, Map.of("a", at(ONE, 2), "b", at(TWO, 1)),
                LiveMemory.MAX_VALUE_SIZE));
    }

    @Test
    void aReadThatMissesAWriteCompletedBeforeItWasCalledIsAStaleRead() {
        List<WorkRecord> history = List.of(
                ran(STORE_A, 0, List.of(at(ONE, 1)), 1, 0, 10),
                ran(LOAD_A, 0, List.of("absent"), 0, 20, 30));

        assertReported("stale read", history, Map.of("a", at(ONE, 1)));
    }

    @Test
    void twoIncrementsFromTheSameRevisionAreALostUpdate() {
        List<WorkRecord> history = List.of(
                ran(INCREMENT_A, 0, List.of(at(ONE, 1)), 1, 0, 10),
                ran(INCREMENT_A, 0, List.of(at(ONE, 1)), 1, 0, 10));

        assertReported("work #1 does not match the model", history, Map.of("a", at(ONE, 1)));
    }

    @Test
    void readingTheWriteOfAWorkThatThrewIsReported() {
        List<WorkRecord> history = List.of(
                threw(Work.failing(new Op.Store("a", ONE, OptionalLong.empty())), 0, List.of(at(ONE, 1)), 1),
                ran(LOAD_A, 0, List.of(at(ONE, 1)), 0, 20, 30));

        assertReported("work #1 does not match the model", history, Map.of());
    }

    @Test
    void aVersionGivenAgainAfterADeleteIsReported() {
        Work deleteA = Work.of(new Op.Delete("a"));
        List<WorkRecord> history = List.of(
                ran(STORE_A, 0, List.of(at(ONE, 1)), 1, 0, 10),
                ran(deleteA, 1, List.of(true), 2, 20, 30),
                ran(STORE_A, 2, List.of(at(ONE, 1)), 3, 40, 50));

        assertReported("work #2 does not match the model", history, Map.of("a", at(ONE, 1)));
    }

    @Test
    void aWorkThatThrewMustNotBeReportedCommitted() {
        Work failing = Work.failing(new Op.Store("a", ONE, OptionalLong.empty()));
        List<WorkRecord> history = List.of(ran(failing, 0, List.of(at(ONE, 1)), 1, 0, 10));

        assertReported("yet its caller was told it committed", history, Map.of("a", at(ONE, 1)));
    }

    @Test
    void aClearedKeyThatComesBackAfterTheCommitIsReported() {
        Work clear = Work.of(new Op.Clear(""));
        List<WorkRecord> history = List.of(
                ran(STORE_A, 0, List.of(at(ONE, 1)), 1, 0, 10),
                ran(clear, 1, List.of(1L), 2, 20, 30));

        assertReported("'a' is json \"1\"@1, model absent", history, Map.of("a", at(ONE, 1)));
    }
}
