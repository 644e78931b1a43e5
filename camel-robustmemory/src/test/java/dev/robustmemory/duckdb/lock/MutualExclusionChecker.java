package dev.robustmemory.duckdb.lock;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Judges a {@link LockHistory}: a pure function from events to a verdict. Per name, the holds (an ENTER and the same
 * process's next EXIT of that name and token) must not overlap in time, and their tokens must strictly grow in the
 * order the holds began. A hold whose EXIT is missing (its process was killed) counts from its ENTER only: when it
 * really ended is unknown, but it must not begin inside another hold.
 *
 * <p>The recorder logs ENTER after the grant was returned and EXIT before the release, so each logged hold lies
 * inside the real one: logged holds that overlap prove that two processes held the name at once.
 */
public final class MutualExclusionChecker {

    public record Hold(long process, String name, long token, long enterNanos, long exitNanos, boolean open) {
        @Override
        public String toString() {
            return "process " + process + " held '" + name + "' with token " + token + " from " + enterNanos + " to "
                   + (open ? "(killed)" : exitNanos);
        }
    }

    /** Valid, or the first anomaly with the two holds that show it. */
    public record Verdict(int holds, Optional<String> anomaly) {
        public boolean valid() {
            return anomaly.isEmpty();
        }
    }

    private MutualExclusionChecker() {
    }

    public static Verdict check(List<LockHistory.Event> history) {
        List<Hold> holds = new ArrayList<>();
        Map<String, LockHistory.Event> entered = new HashMap<>(); // by process and name
        for (LockHistory.Event event : history) {
            String key = event.process() + " " + event.name();
            if (event.kind() == LockHistory.Kind.ENTER) {
                LockHistory.Event previous = entered.put(key, event);
                if (previous != null) { // one thread per process in the workload: it cannot enter twice
                    return new Verdict(holds.size(), Optional.of("ENTER twice without EXIT: " + previous + "; "
                                                                 + event));
                }
            } else {
                LockHistory.Event enter = entered.remove(key);
                if (enter == null || enter.token() != event.token()) {
                    return new Verdict(holds.size(), Optional.of("EXIT without its ENTER: " + event));
                }
                holds.add(new Hold(enter.process(), enter.name(), enter.token(), enter.nanos(), event.nanos(), false));
            }
        }
        entered.values().forEach(enter -> holds.add(openHold(enter)));
        holds.sort(Comparator.comparing(Hold::name).thenComparingLong(Hold::enterNanos));
        Hold previous = null; // of the same name: while no two overlap, the one that ended last
        for (Hold hold : holds) {
            if (previous != null && previous.name().equals(hold.name())) {
                if (hold.enterNanos() < previous.exitNanos()) {
                    return new Verdict(holds.size(), Optional.of("Two holders at once: " + previous + "; " + hold));
                }
                if (hold.token() <= previous.token()) {
                    return new Verdict(holds.size(), Optional.of("Token did not grow: " + previous + "; then " + hold));
                }
            }
            previous = hold;
        }
        return new Verdict(holds.size(), Optional.empty());
    }

    private static Hold openHold(LockHistory.Event enter) {
        return new Hold(enter.process(), enter.name(), enter.token(), enter.nanos(), enter.nanos(), true);
    }
}
