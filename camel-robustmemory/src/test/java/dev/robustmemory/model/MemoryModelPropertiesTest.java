package dev.robustmemory.model;

import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.StoredValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random scenarios on a real memory, judged by the {@link HistoryChecker} against the {@link MemoryModel}; a
 * {@link ModelProperty} makes them ({@link Workloads}), and shrinks and reports a failing one.
 *
 * <p>Subclasses that break the session on purpose ({@link #sessionUnderTest}) show that these properties can fail.
 */
class MemoryModelPropertiesTest {

    private LiveMemory live;

    @BeforeEach
    void openMemory() throws Exception {
        live = new LiveMemory(this::sessionUnderTest, backend());
    }

    @AfterEach
    void closeMemory() throws Exception {
        live.close();
    }

    /** The memory the scenarios run on: the embedded one here. */
    LiveMemory.Backend backend() {
        return LiveMemory.DUCKDB;
    }

    /** What the works are given: the store's own session here. */
    MemorySession sessionUnderTest(MemorySession session) {
        return session;
    }

    /** Called as each scenario begins: a planted bug forgets what it kept from the last one. */
    void scenarioBegins() {
    }

    /** One work at a time, with leases ending and the store reopening in between. */
    @Test
    void sequentialScenariosMatchTheModel() {
        sequentialProperty().check();
    }

    ModelProperty<List<Step>> sequentialProperty() {
        return new ModelProperty<>(getClass().getSimpleName() + ", sequential scenarios",
                Workloads::sequentialScenario, Workloads::smallerSequential, this::runInTurn);
    }

    /**
     * The scenario that found the journal answering for keys a clear had deleted in the same work: an increment
     * added to the cleared value, exists still saw the key, and the key came back once the batch committed.
     */
    @Test
    void aWorkThatClearsSeesTheKeysItClearedAsAbsent() throws Exception {
        runInTurn(List.of(
                new Step.Run(Work.of(new Op.Store("c", StoredValue.json("5"), OptionalLong.empty()))),
                new Step.Run(Work.of(new Op.Clear(""), new Op.Exists("c"), new Op.Increment("c", 1),
                        new Op.Exists("c"), new Op.Load("c"))),
                new Step.Run(Work.of(new Op.Load("c")))));
    }

    /**
     * A work that writes and then throws spoils its batch: it must leave nothing behind, and the neighbours that ran
     * before it in the batch run again alone and commit.
     */
    @Test
    void aWorkThatThrowsAfterWritingLeavesNothingWhileItsBatchNeighboursCommit() throws Exception {
        long base = live.begin();
        List<WorkRecord> history = live.executeTogether(List.of(
                Work.of(new Op.Increment("c", 1)),
                Work.failing(new Op.Store("a", StoredValue.json("1"), OptionalLong.empty()), new Op.Clear(""),
                        new Op.Increment("c", 1)),
                Work.of(new Op.Exists("a"), new Op.Increment("c", 1))), base);

        HistoryChecker.check(history, live.entries(base), live.clock().micros(), LiveMemory.MAX_VALUE_SIZE);
        assertEquals(List.of(2, 2, 1), history.stream().map(WorkRecord::runs).toList(),
                "one batch: the first two ran again alone after the second spoiled it, the third only then");
    }

    private void runInTurn(List<Step> steps) throws Exception {
        long base = begin();
        List<WorkRecord> history = new ArrayList<>();
        for (Step step : steps) {
            if (step instanceof Step.Run run) {
                history.add(live.execute(run.work(), base));
            } else if (step instanceof Step.ClockAdvance advance) {
                live.clock().advance(advance.by());
            } else if (step == Step.LeaseEvent.HAND_OVER) {
                live.handOver();
            } else {
                live.reopen();
            }
        }
        HistoryChecker.check(history, live.entries(base), live.clock().micros(), LiveMemory.MAX_VALUE_SIZE);
    }

    /**
     * Works submitted together share a batch (one transaction), a failing one sends its neighbours through the
     * one-by-one rerun, and still every work must be explained by the model in the order of its revisions.
     */
    @Test
    void worksSubmittedTogetherMatchTheModelInRevisionOrder() {
        concurrentProperty().check();
    }

    ModelProperty<List<List<Work>>> concurrentProperty() {
        return new ModelProperty<>(getClass().getSimpleName() + ", works submitted together",
                Workloads::concurrentScenario, Workloads::smallerConcurrent, this::runTogether);
    }

    private void runTogether(List<List<Work>> rounds) throws Exception {
        long base = begin();
        List<WorkRecord> history = new ArrayList<>();
        for (List<Work> round : rounds) {
            history.addAll(live.executeTogether(round, base));
            live.clock().advance(Duration.ofSeconds(1)); // the expiring writes of one round expire in a later one
        }
        HistoryChecker.check(history, live.entries(base), live.clock().micros(), LiveMemory.MAX_VALUE_SIZE);
    }

    private long begin() throws Exception {
        scenarioBegins();
        return live.begin();
    }
}
