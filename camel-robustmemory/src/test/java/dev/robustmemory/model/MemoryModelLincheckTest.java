package dev.robustmemory.model;

import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Lincheck in stress mode (real threads, real code: the store's native DuckDB calls rule out its model checking
 * mode): a few threads each making a few calls on one memory, every outcome compared with some sequential order of
 * the {@link MemoryLincheckSpecification}. {@code -Dmodel.lincheck.iterations} raises the number of scenarios (the
 * torture profile does).
 */
class MemoryModelLincheckTest {

    static final int ITERATIONS = Integer.getInteger("model.lincheck.iterations", 30);

    @BeforeAll
    static void openMemory() throws Exception {
        MemoryLincheckSubject.memory = new LiveMemory(session -> session);
    }

    @AfterAll
    static void closeMemory() throws Exception {
        MemoryLincheckSubject.memory.close();
        MemoryLincheckSubject.memory = null;
    }

    static StressOptions options(int iterations) {
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
}
