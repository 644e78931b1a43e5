package dev.robustmemory.duckdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.robustmemory.memory.MemoryEntry;

/**
 * The log and the checker of {@link BatchAtomicityProcessTest}. Every store writes one unique value under all keys of
 * {@link #GROUP} as one change, every delete removes them all, every load reads them all, so the group is one
 * register whose history must be linearizable, with the memory's revisions as the order of its changes:
 * <ul>
 * <li>a load sees every key of the group in one state: the same value at the same version, or all absent (else
 *     TORN);</li>
 * <li>a load sees the state of the change of its revision: present at exactly that version, with the value of that
 *     change if it was acknowledged; absent only after a delete (else WRONG_STATE);</li>
 * <li>a value seen was written by an acknowledged store of that version, or by one in flight in a process that was
 *     killed (else IMPOSSIBLE);</li>
 * <li>acknowledged changes own distinct revisions (DUPLICATE), and revisions respect real time: an operation invoked
 *     after another completed is at that one's revision or later, a change strictly later (STALE).</li>
 * </ul>
 * Only deletes that deleted something are changes; one that found the group absent is a read.
 */
final class BatchHistory {

    static final List<String> GROUP = List.of("group/a", "group/b", "group/c");

    /** One completed operation: its kind, the revision it saw or made, times, and what it answered. */
    record Op(String kind, long revision, long invoked, long completed, String value, List<String> states) {

        boolean change() {
            return kind.equals("store") || kind.equals("delete") && !value.equals("0");
        }

        @Override
        public String toString() {
            return kind + " " + (kind.equals("load") ? states : value) + " at revision " + revision;
        }
    }

    private BatchHistory() {
    }

    static String storeLine(String value, long revision, long invoked, long completed) {
        return "OP store " + revision + " " + invoked + " " + completed + " " + value;
    }

    static String deleteLine(int deleted, long revision, long invoked, long completed) {
        return "OP delete " + revision + " " + invoked + " " + completed + " " + deleted;
    }

    static String loadLine(Map<String, MemoryEntry> found, long revision, long invoked, long completed) {
        StringBuilder line = new StringBuilder("OP load " + revision + " " + invoked + " " + completed + " -");
        for (String key : GROUP) {
            MemoryEntry entry = found.get(key);
            line.append(' ').append(entry == null ? "absent" : entry.value().text() + "@" + entry.version());
        }
        return line.toString();
    }

    static List<Op> parse(List<String> lines) {
        List<Op> ops = new ArrayList<>();
        for (String line : lines) {
            if (!line.startsWith("OP ")) {
                continue;
            }
            String[] word = line.split(" ");
            ops.add(new Op(word[1], Long.parseLong(word[2]), Long.parseLong(word[3]), Long.parseLong(word[4]),
                    word[5], word.length > 6 ? Arrays.asList(word).subList(6, word.length) : List.of()));
        }
        return ops;
    }

    /**
     * @param killedThreads the labels of threads (a value starts with its thread's label and a dash) whose process
     *                      was killed: their last store may have taken effect unacknowledged
     * @return the anomalies found, one line each
     */
    static List<String> check(List<Op> ops, Set<String> killedThreads) {
        List<String> anomalies = new ArrayList<>();
        Map<Long, Op> changeAt = new HashMap<>();
        Map<String, Op> storeOfValue = new HashMap<>();
        for (Op op : ops) {
            if (op.change()) {
                Op other = changeAt.put(op.revision(), op);
                if (other != null) {
                    anomalies.add("DUPLICATE: " + op + " and " + other);
                }
            }
            if (op.kind().equals("store")) {
                storeOfValue.put(op.value(), op);
            }
        }
        for (Op load : ops) {
            if (load.kind().equals("load")) {
                checkLoad(load, changeAt, storeOfValue, killedThreads, anomalies);
            }
        }
        checkRealTime(ops, anomalies);
        return anomalies;
    }

    private static void checkLoad(Op load, Map<Long, Op> changeAt, Map<String, Op> storeOfValue,
                                  Set<String> killedThreads, List<String> anomalies) {
        String state = load.states().get(0);
        if (load.states().stream().anyMatch(other -> !other.equals(state))) {
            anomalies.add("TORN: " + load + " saw the group in more than one state");
            return;
        }
        Op change = changeAt.get(load.revision());
        if (state.equals("absent")) {
            if (change != null && change.kind().equals("store")) {
                anomalies.add("WRONG_STATE: " + load + " found the group absent after " + change);
            }
            return;
        }
        int at = state.lastIndexOf('@');
        String value = state.substring(0, at);
        long version = Long.parseLong(state.substring(at + 1));
        if (version != load.revision() || change != null && !value.equals(change.value())) {
            anomalies.add("WRONG_STATE: " + load + " does not show " + (change != null ? change
                                                                                       : "revision " + load.revision()));
        }
        Op writer = storeOfValue.get(value);
        boolean inFlightWhenKilled = killedThreads.contains(value.substring(0, value.lastIndexOf('-')));
        if (writer == null ? !inFlightWhenKilled : writer.revision() != version) {
            anomalies.add("IMPOSSIBLE: " + load + " saw " + value + " at version " + version + ", written "
                          + (writer == null ? "by no store" : "at revision " + writer.revision()));
        }
    }

    /** Each operation against the latest revision of those that completed before it was invoked. */
    private static void checkRealTime(List<Op> ops, List<String> anomalies) {
        List<Op> byCompletion = new ArrayList<>(ops);
        byCompletion.sort(Comparator.comparingLong(Op::completed));
        long[] completions = byCompletion.stream().mapToLong(Op::completed).toArray();
        Op[] latestBefore = new Op[byCompletion.size()];
        for (int i = 0; i < byCompletion.size(); i++) {
            Op previous = i == 0 ? null : latestBefore[i - 1];
            Op op = byCompletion.get(i);
            latestBefore[i] = previous == null || op.revision() > previous.revision() ? op : previous;
        }
        for (Op op : ops) {
            int before = Arrays.binarySearch(completions, op.invoked());
            int last = (before >= 0 ? before : -before - 1) - 1;
            while (last >= 0 && completions[last] >= op.invoked()) {
                last--;
            }
            if (last < 0) {
                continue;
            }
            Op earlier = latestBefore[last];
            boolean stale = op.change() && earlier.change() ? op.revision() <= earlier.revision()
                                                            : op.revision() < earlier.revision();
            if (stale) {
                anomalies.add("STALE: " + op + " was invoked after " + earlier + " completed");
            }
        }
    }
}
