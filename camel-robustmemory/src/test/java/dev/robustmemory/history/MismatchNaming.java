package dev.robustmemory.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Names a mismatch that nothing explained, by the key's history: a state the key had before (a stale read, a lost
 * update, or a resurrected key if the key has since been deleted), or one it never had (an impossible read).
 */
final class MismatchNaming {

    private final KeyTimeline timeline;
    private final Map<String, Operation> writerOfValue;
    private final Findings findings;

    MismatchNaming(KeyTimeline timeline, Map<String, Operation> writerOfValue, Findings findings) {
        this.timeline = timeline;
        this.writerOfValue = writerOfValue;
        this.findings = findings;
    }

    void report(Mismatch mismatch, MemoryModel state) {
        Step step = mismatch.step();
        Invocation call = step.call();
        Result result = step.op().result();
        if (!step.op().isOk()) {
            // Only an unknown compare-and-set whose value was read gets here: it wrote over a version it did not
            // expect. (The checker places other unknown changes only where they take effect.)
            byEarlierState(mismatch, e -> version(e) == call.expectedVersion(), call.expectedVersion() > 0,
                    Anomaly.Kind.LOST_UPDATE, state);
            return;
        }
        switch (call.type()) {
            case LOAD, EXISTS, DELETE -> {
                boolean seenPresent = result instanceof Result.Found || result instanceof Result.Flag flag
                                                                        && flag.value();
                Predicate<MemoryModel.Entry> seen = result instanceof Result.Found found
                        ? e -> e != null && e.value().equals(found.value()) && e.version() == found.version()
                        : seenPresent ? Objects::nonNull : Objects::isNull;
                byEarlierState(mismatch, seen, seenPresent, Anomaly.Kind.STALE_READ, state);
            }
            case CAS -> {
                if (result instanceof Result.Conflict conflict) {
                    byEarlierState(mismatch, e -> version(e) == conflict.currentVersion(),
                            conflict.currentVersion() > 0, Anomaly.Kind.STALE_READ, state);
                } else {
                    byEarlierState(mismatch, e -> version(e) == call.expectedVersion(), call.expectedVersion() > 0,
                            Anomaly.Kind.LOST_UPDATE, state);
                }
            }
            case INCREMENT -> {
                if (result instanceof Result.Found found) {
                    long before = Long.parseLong(found.value()) - call.delta();
                    byEarlierState(mismatch, e -> e == null ? before == 0
                            : e.numeric() && Long.parseLong(e.value()) == before, before != 0,
                            Anomaly.Kind.LOST_UPDATE, state);
                } else {
                    byEarlierState(mismatch, e -> e != null && !e.numeric(), true, Anomaly.Kind.STALE_READ, state);
                }
            }
            case KEYS -> byListing(mismatch, state);
            case CLEAR, SIZE -> findings.report(Anomaly.Kind.WRONG_COUNT, mismatch.problem(), step.op());
            case STORE -> throw new IllegalStateException("an unconditional store cannot mismatch");
        }
    }

    private void byEarlierState(Mismatch mismatch, Predicate<MemoryModel.Entry> seen, boolean seenPresent,
                                Anomaly.Kind kind, MemoryModel state) {
        Step step = mismatch.step();
        String key = step.call().key();
        KeyTimeline.Earlier earlier = timeline.latestEarlier(key, seen);
        if (earlier != null) {
            boolean resurrected = seenPresent && state.get(key).isEmpty();
            findings.report(resurrected ? Anomaly.Kind.RESURRECTED_KEY : kind, mismatch.problem()
                    + "; the answer fits the key as it was before revision " + earlier.replacedBy().revision()
                    + ", when the second operation below changed it",
                    step.op(), earlier.replacedBy().cause());
            return;
        }
        List<Operation> involved = new ArrayList<>(List.of(step.op()));
        if (step.op().result() instanceof Result.Found found && writerOfValue.containsKey(found.value())) {
            involved.add(writerOfValue.get(found.value()));
        }
        findings.report(Anomaly.Kind.IMPOSSIBLE_READ, mismatch.problem() + "; the key was never in that state",
                involved.toArray(Operation[]::new));
    }

    /** A wrong listing is named by its first key that differs: resurrected, stale, else just wrong keys. */
    private void byListing(Mismatch mismatch, MemoryModel state) {
        Step step = mismatch.step();
        Set<String> listed = new TreeSet<>(((Result.KeyList) step.op().result()).keys());
        Set<String> held = new TreeSet<>(state.keys(step.call().key()));
        Set<String> differing = new TreeSet<>(listed);
        differing.addAll(held);
        differing.removeIf(key -> listed.contains(key) == held.contains(key));
        for (String key : differing) {
            boolean seenPresent = listed.contains(key);
            KeyTimeline.Earlier earlier = timeline.latestEarlier(key, e -> (e != null) == seenPresent);
            if (earlier != null) {
                findings.report(seenPresent ? Anomaly.Kind.RESURRECTED_KEY : Anomaly.Kind.STALE_READ,
                        mismatch.problem() + "; " + key + " was " + (seenPresent ? "present" : "absent")
                        + " until revision " + earlier.replacedBy().revision(), step.op(),
                        earlier.replacedBy().cause());
                return;
            }
        }
        findings.report(Anomaly.Kind.WRONG_KEYS, mismatch.problem(), step.op());
    }

    private static long version(MemoryModel.Entry entry) {
        return entry == null ? 0 : entry.version();
    }
}
