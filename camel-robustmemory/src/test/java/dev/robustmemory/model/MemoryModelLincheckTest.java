package dev.robustmemory.model;

import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lincheck in stress mode (real threads, real code: the store's native DuckDB calls rule out its model checking
 * mode): a few threads each making a few calls on one memory, every outcome compared with some sequential order of
 * the {@link MemoryLincheckSpecification}. {@code -Dmodel.lincheck.iterations} raises the number of scenarios (the
 * torture profile does).
 */
class MemoryModelLincheckTest {

    private static final int ITERATIONS = Integer.getInteger("model.lincheck.iterations", 30);

    @BeforeAll
    static void openMemory() throws Exception {
        MemoryLincheckSubject.memory = new LiveMemory(session -> session, LiveMemory.DUCKDB);
    }

    @AfterAll
    static void closeMemory() throws Exception {
        MemoryLincheckSubject.memory.close();
        MemoryLincheckSubject.memory = null;
    }

    private static StressOptions options(int iterations) {
        return new StressOptions()
                .iterations(iterations)
                .invocationsPerIteration(20)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(1)
                .sequentialSpecification(MemoryLincheckSpecification.class);
    }

    @Test
    void concurrentCallsAreLinearizable() {
        options(ITERATIONS).check(MemoryLincheckSubject.class);
    }

    /** A planted bug, so that this test is seen to fail: two callers can read the same value and both add one. */
    @Test
    void anIncrementMadeOfTwoWorksIsCaught() {
        LincheckAssertionError error = assertThrows(LincheckAssertionError.class,
                () -> options(100).check(IncrementLosingSubject.class));
        assertTrue(error.getMessage().contains("increment("), error::getMessage);
    }
}
