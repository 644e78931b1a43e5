package dev.robustmemory.model;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The property runner on its own, on lists of digits: it shrinks to what fails, and its seed makes that again. */
class ModelPropertyTest {

    /** Fails when a list holds a 3 and a 7: the smallest counterexamples are [3, 7] and [7, 3]. */
    private static final ModelProperty<List<Integer>> NO_THREE_WITH_A_SEVEN = new ModelProperty<>("no 3 with a 7",
            random -> random.ints(random.nextInt(8), 0, 10).boxed().toList(),
            digits -> Workloads.smaller(digits, 0, digit -> List.of()),
            digits -> assertFalse(digits.contains(3) && digits.contains(7)));

    @Test
    void aFailureShrinksToTheFewestPartsThatStillFail() {
        ModelProperty.Counterexample<List<Integer>> found = NO_THREE_WITH_A_SEVEN.findCounterexample(1, 100)
                .orElseThrow();
        assertEquals(2, found.shrunk().size(), found::report);
        assertEquals(Set.of(3, 7), Set.copyOf(found.shrunk()), found::report);
    }

    @Test
    void theReportedSeedMakesTheFailingScenarioFirst() {
        ModelProperty.Counterexample<List<Integer>> found = NO_THREE_WITH_A_SEVEN.findCounterexample(1, 100)
                .orElseThrow();
        assertTrue(found.tryNumber() > 1, "a later try's seed, drawn from the first: " + found.report());
        assertTrue(found.report().contains("-Dmodel.seed=" + found.seed()), found::report);
        ModelProperty.Counterexample<List<Integer>> again = NO_THREE_WITH_A_SEVEN.findCounterexample(found.seed(), 1)
                .orElseThrow();
        assertEquals(found.original(), again.original());
    }
}
