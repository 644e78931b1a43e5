package dev.robustmemory.history;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Each key's states in revision order, as the replay applied them: what names a mismatch (stale, lost, ...). */
final class KeyTimeline {

    /**
     * A key's state from a revision on.
     *
     * @param entry null when absent
     * @param cause the change that made it; null for the empty memory at the start
     */
    record State(long revision, MemoryModel.Entry entry, Operation cause) {
    }

    /** An earlier state that matched, and the change that ended it. */
    record Earlier(State state, State replacedBy) {
    }

    private static final State START = new State(0, null, null);

    private final Map<String, List<State>> states = new HashMap<>();

    void record(String key, long revision, MemoryModel model, Operation cause) {
        states.computeIfAbsent(key, k -> new ArrayList<>())
                .add(new State(revision, model.get(key).orElse(null), cause));
    }

    /** Forgets every state after {@code revision}: the replay is about to apply them again, differently. */
    void truncateAfter(long revision) {
        for (List<State> key : states.values()) {
            while (!key.isEmpty() && key.get(key.size() - 1).revision() > revision) {
                key.remove(key.size() - 1);
            }
        }
    }

    /** The latest state before the current one that {@code seen} accepts (entry null = absent), if any. */
    Earlier latestEarlier(String key, Predicate<MemoryModel.Entry> seen) {
        List<State> timeline = states.getOrDefault(key, List.of());
        for (int i = timeline.size() - 2; i >= -1; i--) {
            State earlier = i < 0 ? START : timeline.get(i);
            if (seen.test(earlier.entry())) {
                return new Earlier(earlier, timeline.get(i + 1));
            }
        }
        return null;
    }
}
