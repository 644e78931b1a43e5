package dev.robustmemory.model;

import dev.robustmemory.memory.MemoryEntry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Judges a history of works against the {@link MemoryModel}, as a pure function: orders the works by the revisions
 * they report, replays them in that order and demands the same answers, the same revisions and, at the end, the same
 * entries.
 *
 * <p><b>Why the order needs no search.</b> Every change takes the next revision, so a work that changed the memory
 * is the only one to start from its start revision; works that changed nothing (read-only ones, and those that threw
 * and were rolled back) saw the memory as of their start revision, before the next change. Sorting by (start
 * revision, changed) is therefore the one order that can explain the history; if it does not, nothing does.
 */
final class HistoryChecker {

    private HistoryChecker() {
    }

    /**
     * @param history    every work of the scenario, in the order the calls were made
     * @param finalState the memory's entries at the end, versions relative to the scenario's base
     * @throws HistoryMismatch the first thing the model cannot explain, with the history that shows it
     */
    static void check(List<WorkRecord> history, Map<String, Answers.Versioned> finalState, long maxValueSize) {
        check(history, finalState, history.stream().mapToLong(WorkRecord::clockMicros).max().orElse(0),
                maxValueSize);
    }

    /** @param finalClockMicros the wall clock's time when {@code finalState} was read */
    static void check(List<WorkRecord> history, Map<String, Answers.Versioned> finalState, long finalClockMicros,
                      long maxValueSize) {
        for (int i = 0; i < history.size(); i++) {
            checkOutcome(history, i);
        }
        checkRealTimeOrder(history);
        // Indices rather than records: two calls of the same work may have left equal records.
        List<Integer> order = IntStream.range(0, history.size()).boxed()
                .sorted(Comparator.comparingLong((Integer i) -> history.get(i).observed().startRevision())
                        .thenComparing(i -> history.get(i).changed()))
                .toList();

        MemoryModel model = new MemoryModel(maxValueSize);
        List<String> replayed = new ArrayList<>();
        for (int i : order) {
            WorkRecord record = history.get(i);
            model.setNow(record.clockMicros());
            Work.Observation expected = replay(model, record.work());
            replayed.add(describe(i, record) + "\n      model: " + show(expected));
            if (!expected.equals(record.observed())) {
                throw new HistoryMismatch("work #" + i + " does not match the model", history, replayed);
            }
        }
        model.setNow(finalClockMicros);
        Map<String, Answers.Versioned> modelState = new TreeMap<>();
        for (MemoryEntry entry : model.entries().values()) {
            modelState.put(entry.key(), Answers.versioned(entry, 0));
        }
        if (!modelState.equals(finalState)) {
            throw new HistoryMismatch("the final entries differ from the model's: "
                                      + difference(finalState, modelState), history, replayed);
        }
    }

    /** Runs the work on the model; a work that throws leaves the model as it was. */
    private static Work.Observation replay(MemoryModel model, Work work) {
        try {
            return model.transaction(session -> work.run(session, 0));
        } catch (Work.IntendedFailure e) {
            return e.observation();
        } catch (Exception e) {
            throw new IllegalStateException("the model itself failed on " + work, e);
        }
    }

    private static void checkOutcome(List<WorkRecord> history, int index) {
        WorkRecord record = history.get(index);
        String problem = null;
        if (record.failure() != null && !(record.failure() instanceof Work.IntendedFailure)) {
            problem = "failed: " + record.failure();
        } else if (record.work().failsAtEnd() && record.failure() == null) {
            problem = "threw, yet its caller was told it committed";
        } else if (record.observed() == null) {
            problem = "never ran";
        }
        if (problem != null) {
            throw new HistoryMismatch("work #" + index + " " + problem, history, List.of());
        }
    }

    /**
     * A work called after another work's outcome arrived must see that work's changes: it cannot start from an
     * earlier revision than the one the other left.
     */
    private static void checkRealTimeOrder(List<WorkRecord> history) {
        for (int e = 0; e < history.size(); e++) {
            for (int l = 0; l < history.size(); l++) {
                WorkRecord earlier = history.get(e);
                WorkRecord later = history.get(l);
                if (earlier.committed() && earlier.completedNanos() < later.invokedNanos()
                    && later.observed().startRevision() < earlier.observed().endRevision()) {
                    throw new HistoryMismatch("work #" + l + " started from revision "
                            + later.observed().startRevision() + ", yet work #" + e
                            + " had reached revision " + earlier.observed().endRevision()
                            + " and completed before it was called (a stale read)", history, List.of());
                }
            }
        }
    }

    private static String difference(Map<String, Answers.Versioned> real, Map<String, Answers.Versioned> model) {
        List<String> differences = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(real.keySet());
        keys.addAll(model.keySet());
        for (String key : keys) {
            if (!Objects.equals(real.get(key), model.get(key))) {
                differences.add("'" + key + "' is " + orAbsent(real.get(key)) + ", model " + orAbsent(model.get(key)));
            }
        }
        return String.join("; ", differences);
    }

    private static String orAbsent(Object entry) {
        return entry == null ? "absent" : entry.toString();
    }

    private static String describe(int index, WorkRecord record) {
        return "#" + index + " " + record.work() + "\n      store: "
               + (record.observed() == null ? "-" : show(record.observed()))
               + (record.failure() != null ? " (threw)" : "");
    }

    private static String show(Work.Observation observation) {
        return "rev " + observation.startRevision() + " " + observation.answers() + " rev " + observation.endRevision();
    }

    /** What the model cannot explain, with the history in the order it was replayed up to that point. */
    static final class HistoryMismatch extends AssertionError {
        private final transient List<WorkRecord> history;

        HistoryMismatch(String problem, List<WorkRecord> history, List<String> replayed) {
            super(problem + "\n  history as called: " + history.stream().map(WorkRecord::work).toList()
                  + (replayed.isEmpty() ? ""
                                        : "\n  replayed in revision order:\n    " + String.join("\n    ", replayed)));
            this.history = List.copyOf(history);
        }

        List<WorkRecord> history() {
            return history;
        }
    }
}
