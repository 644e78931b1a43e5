package dev.robustmemory.model;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model properties, run against memories with a planted bug, must fail, and shrink what they found to a few
 * operations: a property that cannot fail proves nothing. (Lincheck's planted bug is tried in
 * {@link MemoryModelLincheckTest}.)
 */
class ModelPropertiesCanFailTest {

    /**
     * Runs a property on a planted-bug memory: it must fail, and shrink to at most {@code maxOperations} operations,
     * among them one of {@code culprit}'s kind.
     */
    private static void assertShrinksToAFewOperations(MemoryModelPropertiesTest planted,
                                                      Function<MemoryModelPropertiesTest, ModelProperty<?>> property,
                                                      Class<? extends Op> culprit, int maxOperations)
            throws Exception {
        planted.openMemory();
        ModelProperty.Counterexample<?> found;
        try {
            found = property.apply(planted).findCounterexample()
                    .orElseThrow(() -> new AssertionError(planted.getClass().getSimpleName() + " was not caught"));
        } finally {
            planted.closeMemory();
        }
        // what the planted bug shrank to, for the test's log
        System.out.println(found.report() + "\n  " + found.failure().getMessage());
        HistoryChecker.HistoryMismatch mismatch = assertInstanceOf(HistoryChecker.HistoryMismatch.class,
                found.failure(), found::report);
        List<Op> ops = mismatch.history().stream().flatMap(record -> record.work().ops().stream()).toList();
        assertTrue(ops.stream().anyMatch(culprit::isInstance), found::report);
        assertTrue(ops.size() <= maxOperations, found::report);
    }

    @Test
    void aStaleReadFailsTheSequentialProperty() throws Exception {
        assertShrinksToAFewOperations(new StaleReadingMemory(), MemoryModelPropertiesTest::sequentialProperty,
                Op.Load.class, 4);
    }

    @Test
    void aLostIncrementFailsTheConcurrentProperty() throws Exception {
        assertShrinksToAFewOperations(new IncrementLosingMemory(), MemoryModelPropertiesTest::concurrentProperty,
                Op.Increment.class, 2);
    }
}
