package dev.robustmemory.model;

import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import java.lang.reflect.Method;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/**
 * The model properties, run against memories with a planted bug, must fail, and shrink what they found to a few
 * operations: a property that cannot fail proves nothing. (Lincheck's planted bug is tried in
 * {@link MemoryModelLincheckTest}.)
 */
class ModelPropertiesCanFailTest {

    /** Runs one property of a planted-bug container through jqwik's engine. @return the shrunk failure */
    private static HistoryChecker.HistoryMismatch failureOf(Class<?> container, String property) throws Exception {
        Method method = MemoryModelPropertiesTest.class.getDeclaredMethod(property, List.class);
        List<Event> failed = EngineTestKit.engine("jqwik")
                .enableImplicitConfigurationParameters(true) // the build's jqwik settings (tries, database file)
                .selectors(selectMethod(container, method))
                .execute()
                .testEvents()
                .failed()
                .list();
        assertEquals(1, failed.size(), () -> container.getSimpleName() + "." + property + " did not fail");
        Throwable failure = failed.get(0).getPayload(TestExecutionResult.class).orElseThrow().getThrowable()
                .orElseThrow();
        return assertInstanceOf(HistoryChecker.HistoryMismatch.class, failure);
    }

    /**
     * Runs a property on a planted-bug container: it must fail, and shrink to at most {@code maxOperations}
     * operations, among them one of {@code culprit}'s kind.
     */
    private static void assertShrinksToAFewOperations(Class<?> container, String property,
                                                      Class<? extends Op> culprit, int maxOperations)
            throws Exception {
        HistoryChecker.HistoryMismatch mismatch = failureOf(container, property);
        List<Op> ops = mismatch.history().stream().flatMap(record -> record.work().ops().stream()).toList();
        assertTrue(ops.stream().anyMatch(culprit::isInstance), mismatch::getMessage);
        assertTrue(ops.size() <= maxOperations, mismatch::getMessage);
    }

    @Test
    void aStaleReadFailsTheSequentialProperty() throws Exception {
        assertShrinksToAFewOperations(StaleReadingMemory.class, "sequentialScenariosMatchTheModel", Op.Load.class, 4);
    }

    @Test
    void aLostIncrementFailsTheConcurrentProperty() throws Exception {
        assertShrinksToAFewOperations(IncrementLosingMemory.class, "worksSubmittedTogetherMatchTheModelInRevisionOrder",
                Op.Increment.class, 2);
    }
}
