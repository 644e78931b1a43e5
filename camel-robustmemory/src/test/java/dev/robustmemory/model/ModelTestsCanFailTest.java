package dev.robustmemory.model;

import net.jqwik.api.ForAll;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import java.lang.reflect.Method;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/**
 * The model tests, run against memories with a planted bug, must fail, and shrink what they found to a few
 * operations: a property that cannot fail proves nothing.
 */
class ModelTestsCanFailTest {

    @BeforeAll
    static void openMemory() throws Exception {
        MemoryLincheckSubject.memory = new LiveMemory(session -> session);
    }

    @AfterAll
    static void closeMemory() throws Exception {
        MemoryLincheckSubject.memory.close();
        MemoryLincheckSubject.memory = null;
    }

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

    private static int operations(HistoryChecker.HistoryMismatch mismatch) {
        return mismatch.history().stream().mapToInt(record -> record.work().ops().size()).sum();
    }

    private static boolean performs(HistoryChecker.HistoryMismatch mismatch, Class<? extends Op> kind) {
        return mismatch.history().stream().flatMap(record -> record.work().ops().stream()).anyMatch(kind::isInstance);
    }

    @Test
    void aStaleReadFailsTheSequentialPropertyWithAFewOperations() throws Exception {
        HistoryChecker.HistoryMismatch mismatch = failureOf(StaleReadingMemory.class,
                "sequentialScenariosMatchTheModel");
        assertTrue(performs(mismatch, Op.Load.class), mismatch::getMessage);
        assertTrue(operations(mismatch) <= 4, mismatch::getMessage);
    }

    @Test
    void aLostIncrementFailsTheConcurrentPropertyWithAFewOperations() throws Exception {
        HistoryChecker.HistoryMismatch mismatch = failureOf(IncrementLosingMemory.class,
                "worksSubmittedTogetherMatchTheModelInRevisionOrder");
        assertTrue(performs(mismatch, Op.Increment.class), mismatch::getMessage);
        assertTrue(operations(mismatch) <= 2, mismatch::getMessage);
    }

    @Test
    void anIncrementMadeOfTwoWorksFailsLincheck() {
        LincheckAssertionError error = assertThrows(LincheckAssertionError.class,
                () -> MemoryModelLincheckTest.options(100).check(IncrementLosingSubject.class));
        assertTrue(error.getMessage().contains("increment("), error::getMessage);
    }
}
