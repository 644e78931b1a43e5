package dev.robustmemory.camel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.robustmemory.memory.MemoryChange;

/**
 * Judges what the runs of a change feed consumer emitted against the changes that were acknowledged: each run in
 * strictly increasing order, and all runs together every acknowledged change once, in commit order, and nothing
 * else, where a run may emit again what the run before it emitted (at least once across a kill).
 */
final class ChangeFeedChecker {

    static final Comparator<MemoryChange.Position> ORDER =
            Comparator.comparingLong(MemoryChange.Position::revision).thenComparing(MemoryChange.Position::key);

    private ChangeFeedChecker() {
    }

    /** @return what is wrong, empty when nothing is */
    static List<String> problems(List<MemoryChange.Position> acknowledged, List<List<MemoryChange.Position>> runs) {
        List<String> problems = new ArrayList<>();
        List<MemoryChange.Position> expected = new ArrayList<>(acknowledged);
        expected.sort(ORDER);
        List<MemoryChange.Position> emitted = new ArrayList<>();
        for (int r = 0; r < runs.size(); r++) {
            List<MemoryChange.Position> run = runs.get(r);
            for (int i = 1; i < run.size(); i++) {
                if (ORDER.compare(run.get(i - 1), run.get(i)) >= 0) {
                    problems.add("run " + r + " emitted " + run.get(i) + " after " + run.get(i - 1));
                }
            }
            for (MemoryChange.Position position : run) {
                if (emitted.isEmpty() || ORDER.compare(position, emitted.get(emitted.size() - 1)) > 0) {
                    emitted.add(position);
                }
            }
        }
        for (int i = 0; i < Math.max(expected.size(), emitted.size()); i++) {
            MemoryChange.Position want = i < expected.size() ? expected.get(i) : null;
            MemoryChange.Position got = i < emitted.size() ? emitted.get(i) : null;
            if (want == null || !want.equals(got)) {
                problems.add("change #" + i + ": acknowledged " + (want == null ? "nothing more" : want)
                             + ", emitted " + (got == null ? "nothing" : got)
                             + (want != null && got != null && ORDER.compare(got, want) > 0 ? " (a gap)" : ""));
                break; // what follows a first difference only repeats it
            }
        }
        return problems;
    }
}
