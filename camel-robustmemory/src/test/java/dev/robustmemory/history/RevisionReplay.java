package dev.robustmemory.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks (c), (d) and (e) of {@link HistoryChecker}: replays the changes in revision order on a {@link MemoryModel}
 * and holds every answer to the model at its revision; explains mismatches with unknown changes where it can.
 *
 * <p>The revision order is cut into segments: the reads after one change up to the next change, and that change. An
 * unknown change needs a revision of its own, so it can only stand in a segment with room: a revision between its
 * two changes that no acknowledged change owns. The first step that contradicts the model may come long after the
 * room where the unknown change really stood (a read at the revision of the change before it, say), so the replay
 * keeps the model as it was at the start of the last {@value #MAX_SNAPSHOTS} segments with room, and the search may
 * insert there and walk forward again, every step since held to the model once more.
 */
final class RevisionReplay {

    /** The most unknown operations inserted together to explain one mismatch. */
    static final int MAX_INSERTIONS = 3;
    /**
     * The most candidates considered for one mismatch, those real time lets stand nearest to it: the search stays
     * tiny however many unknowns a run has.
     */
    static final int MAX_CANDIDATES = 8;
    /** The most steps one search may walk, over all the placements it tries. */
    static final long SEARCH_BUDGET = 1_000_000;
    /** How many segments with room back the search may go. */
    static final int MAX_SNAPSHOTS = 16;

    /** The reads after one change up to the next change, and that change (null after the last one). */
    private record Segment(long previousRevision, List<Step> reads, Step change) {

        long limit() {
            return change == null ? Long.MAX_VALUE : change.revision();
        }

        long latestCompletion() {
            long latest = change == null ? Long.MIN_VALUE : change.op().completedNanos();
            for (Step read : reads) {
                latest = Math.max(latest, read.op().completedNanos());
            }
            return latest;
        }
    }

    /** An unknown (or failed) change tried at a revision. */
    private record Placement(Operation op, long revision) {
    }

    private final List<Segment> segments = new ArrayList<>();
    /** The model at the start of recent segments with room, by the revision they start at. */
    private final TreeMap<Long, MemoryModel> snapshots = new TreeMap<>();
    private final MemoryModel state = new MemoryModel();
    private final List<Operation> unknowns;
    private final List<Operation> failed;
    private final RealTimeBounds bounds;
    private final Findings findings;
    private final KeyTimeline timeline = new KeyTimeline();
    private final MismatchNaming naming;
    private final List<Step> inserted = new ArrayList<>();
    /**
     * The key of each version an answer saw (a loaded or incremented entry, a conflict's current version, the version
     * a compare-and-set that took effect expected). A version is the revision of the write that made it, so an unknown
     * change may stand at one only if it writes that key.
     */
    private final TreeMap<Long, String> keyOfVersionSeen = new TreeMap<>();
    private long walkBudget;

    /**
     * @param changes  acknowledged changes and unknown ones already placed, any order
     * @param unknowns unknown operations that may change the memory, not placed yet
     * @param failed   failed operations that would have changed the memory
     */
    RevisionReplay(List<Step> changes, List<Step> reads, List<Operation> unknowns, List<Operation> failed,
                   RealTimeBounds bounds, Map<String, Operation> writerOfValue, Findings findings) {
        this.unknowns = new ArrayList<>(unknowns);
        this.failed = new ArrayList<>(failed);
        this.bounds = bounds;
        this.findings = findings;
        this.naming = new MismatchNaming(timeline, writerOfValue, findings);
        for (List<Step> steps : List.of(changes, reads)) {
            for (Step step : steps) {
                long version = versionSeen(step);
                if (version > 0) { // two keys at one version: a read mismatches, and is reported as such
                    keyOfVersionSeen.putIfAbsent(version, step.call().key());
                }
            }
        }
        List<Step> sortedChanges = new ArrayList<>(changes);
        sortedChanges.sort(Comparator.comparingLong(Step::revision));
        List<Step> sortedReads = new ArrayList<>(reads);
        sortedReads.sort(Comparator.comparingLong(Step::revision)
                .thenComparingLong(step -> step.op().invokedNanos()));
        int nextRead = 0;
        long previous = 0;
        for (int c = 0; c <= sortedChanges.size(); c++) {
            Step change = c < sortedChanges.size() ? sortedChanges.get(c) : null;
            long limit = change == null ? Long.MAX_VALUE : change.revision();
            int first = nextRead;
            while (nextRead < sortedReads.size() && sortedReads.get(nextRead).revision() < limit) {
                nextRead++;
            }
            segments.add(new Segment(previous, List.copyOf(sortedReads.subList(first, nextRead)), change));
            previous = change == null ? previous : change.revision();
        }
    }

    /** Replays everything, reporting what nothing explains; returns the operations the search placed. */
    List<Step> run() {
        for (int i = 0; i < segments.size(); i++) {
            Segment segment = segments.get(i);
            if (hasRoom(segment)) {
                keepSnapshot(segment.previousRevision(), state);
            }
            i = resolve(i);
            Step change = segments.get(i).change();
            if (change != null) {
                apply(change.op(), change.revision(), state, true, true);
            }
        }
        return inserted;
    }

    /** Checks segment i; returns its index afterwards (inserting unknown changes before it moves it). */
    private int resolve(int i) {
        List<Mismatch> mismatches = walk(i, i, state, List.of(), false);
        if (mismatches.isEmpty()) {
            return i;
        }
        List<Placement> explanation = search(i, mismatches, unknowns);
        if (explanation != null) {
            return adopt(i, explanation);
        }
        List<Operation> unknownOrFailed = new ArrayList<>(unknowns);
        unknownOrFailed.addAll(failed);
        explanation = search(i, mismatches, unknownOrFailed);
        Mismatch first = mismatches.get(0);
        if (explanation == null) {
            naming.report(first, state);
            return i;
        }
        List<Operation> involved = new ArrayList<>(List.of(first.step().op()));
        explanation.stream().map(Placement::op).filter(Operation::isFailed).forEach(involved::add);
        if (involved.size() > 1) {
            findings.report(Anomaly.Kind.FAILED_WRITE_TOOK_EFFECT, first.problem() + "; only the effect of "
                    + (involved.size() > 2 ? "failed operations" : "a failed operation") + " explains it",
                    involved.toArray(Operation[]::new));
        }
        return adopt(i, explanation); // the model follows the memory: one anomaly, not one per later read
    }

    /**
     * Walks segments {@code from} to {@code to} on {@code model} with the tentative placements inserted, each seen
     * by every step at its revision and after; the last segment's change is checked, not applied. Checking, it
     * returns the mismatches, or null when the placements are impossible (one would change nothing where it stands,
     * or would be seen by a step that completed before it was invoked). Adopting, it only applies, records and
     * keeps snapshots.
     */
    private List<Mismatch> walk(int from, int to, MemoryModel model, List<Placement> tentative, boolean adopting) {
        List<Mismatch> mismatches = new ArrayList<>();
        Inserting inserting = new Inserting(tentative, model);
        for (int k = from; k <= to; k++) {
            Segment segment = segments.get(k);
            if (adopting && k > from && hasRoom(segment)) {
                keepSnapshot(segment.previousRevision(), model);
            }
            walkBudget -= segment.reads().size() + 1;
            for (Step read : segment.reads()) {
                if (!inserting.upTo(read.revision() + 1)) {
                    return null;
                }
                if (!adopting) {
                    if (!inserting.allSeenBy(read)) {
                        return null;
                    }
                    Mismatch.of(read, model).ifPresent(mismatches::add);
                }
            }
            if (!inserting.upTo(segment.limit())) {
                return null;
            }
            Step change = segment.change();
            if (change != null) {
                if (!adopting) {
                    if (!inserting.allSeenBy(change)) {
                        return null;
                    }
                    Mismatch.of(change, model).ifPresent(mismatches::add);
                }
                if (k < to) {
                    apply(change.op(), change.revision(), model, true, adopting);
                }
            }
        }
        return mismatches;
    }

    /** The tentative placements of one walk, applied to its model as the walk passes their revisions. */
    private final class Inserting {

        private final List<Placement> placements;
        private final MemoryModel model;
        private int next;
        private long latestInvocation = Long.MIN_VALUE;

        Inserting(List<Placement> placements, MemoryModel model) {
            this.placements = placements;
            this.model = model;
        }

        /** Applies those below {@code revision}; false when one would change nothing where it stands. */
        boolean upTo(long revision) {
            for (; next < placements.size() && placements.get(next).revision() < revision; next++) {
                Placement placement = placements.get(next);
                if (!apply(placement.op(), placement.revision(), model, false, false)) {
                    return false;
                }
                latestInvocation = Math.max(latestInvocation, placement.op().invokedNanos());
            }
            return true;
        }

        /** Whether every placement applied so far was invoked before {@code step}, which sees them, completed. */
        boolean allSeenBy(Step step) {
            return latestInvocation < step.op().completedNanos();
        }
    }

    /**
     * Unknown (or failed) changes from {@code pool} that explain segment i: iterative deepening over candidates and
     * free revisions, revisions strictly growing along a branch so that each set is tried once; null if none.
     */
    private List<Placement> search(int i, List<Mismatch> mismatches, List<Operation> pool) {
        TreeMap<Long, Integer> segmentOfRevision = new TreeMap<>();
        for (int k = i; k >= 0; k--) {
            Segment segment = segments.get(k);
            if (k == i || snapshots.containsKey(segment.previousRevision())) {
                for (long revision : freeRevisions(segment)) {
                    segmentOfRevision.put(revision, k);
                }
            }
            if (snapshots.isEmpty() || segment.previousRevision() <= snapshots.firstKey()) {
                break;
            }
        }
        long latestCompletion = segments.get(i).latestCompletion();
        Map<Operation, Long> latestUsableRevision = new LinkedHashMap<>(); // ties keep the pool's order: reproducible
        for (Operation op : pool) {
            if (op.invokedNanos() < latestCompletion
                && mismatches.stream().anyMatch(m -> m.couldBeChangedBy(op.call()))) {
                RealTimeBounds.Window window = bounds.window(op);
                Long latest = segmentOfRevision.floorKey(window.atMost());
                if (latest != null && latest > window.after()) {
                    latestUsableRevision.put(op, latest);
                }
            }
        }
        // The cap keeps those real time lets stand nearest to the mismatch. A long run leaves unknowns of JVMs killed
        // long ago that touch the same few keys, and the snapshots may reach back to where they could stand: first by
        // effect size, they would crowd out the operations of the JVM that just died, which explain what is seen now.
        List<Operation> candidates = latestUsableRevision.keySet().stream()
                .sorted(Comparator.comparing((Operation op) -> latestUsableRevision.get(op), Comparator.reverseOrder())
                        .thenComparing(RevisionReplay::bySmallestEffect))
                .limit(MAX_CANDIDATES)
                .sorted(RevisionReplay::bySmallestEffect)
                .toList();
        if (candidates.isEmpty()) {
            return null;
        }
        List<Long> revisions = new ArrayList<>(segmentOfRevision.keySet());
        walkBudget = SEARCH_BUDGET;
        for (int depth = 1; depth <= MAX_INSERTIONS; depth++) {
            List<Placement> found = extend(i, candidates, revisions, segmentOfRevision, new ArrayList<>(), depth, 0,
                    new HashSet<>());
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private List<Placement> extend(int i, List<Operation> candidates, List<Long> revisions,
                                   Map<Long, Integer> segmentOfRevision, List<Placement> chosen, int depth,
                                   int fromRevision, Set<Operation> used) {
        for (int r = fromRevision; r < revisions.size(); r++) {
            long revision = revisions.get(r);
            for (Operation candidate : candidates) {
                if (used.contains(candidate) || !bounds.window(candidate).contains(revision)
                    || !mayOwn(candidate, revision)) {
                    continue;
                }
                if (walkBudget <= 0) {
                    return null;
                }
                chosen.add(new Placement(candidate, revision));
                int from = segmentOfRevision.get(chosen.get(0).revision());
                MemoryModel start = from == i ? state : snapshots.get(segments.get(from).previousRevision());
                List<Mismatch> left = walk(from, i, start.copy(), chosen, false);
                if (left != null && left.isEmpty()) {
                    return List.copyOf(chosen);
                }
                if (left != null && chosen.size() < depth) {
                    used.add(candidate);
                    List<Placement> found = extend(i, candidates, revisions, segmentOfRevision, chosen, depth, r + 1,
                            used);
                    used.remove(candidate);
                    if (found != null) {
                        return found;
                    }
                }
                chosen.remove(chosen.size() - 1);
            }
        }
        return null;
    }

    /**
     * Makes the placements changes of their own (each splits its segment in two), then walks forward again from
     * the first of them to rebuild the model, the key timeline and the snapshots. Returns segment i's new index.
     */
    private int adopt(int i, List<Placement> explanation) {
        long currentStart = segments.get(i).previousRevision();
        int current = i;
        int first = Integer.MAX_VALUE;
        for (Placement placement : explanation) { // in revision order, as the search chose them
            int k = current;
            while (segments.get(k).previousRevision() >= placement.revision()) {
                k--;
            }
            Segment segment = segments.get(k);
            Step step = Step.placed(placement.op(), placement.revision());
            List<Step> before = segment.reads().stream().filter(read -> read.revision() < step.revision()).toList();
            List<Step> after = segment.reads().stream().filter(read -> read.revision() >= step.revision()).toList();
            segments.set(k, new Segment(segment.previousRevision(), before, step));
            segments.add(k + 1, new Segment(step.revision(), after, segment.change()));
            current++;
            first = Math.min(first, k);
            inserted.add(step);
            unknowns.remove(placement.op());
            failed.remove(placement.op());
        }
        long start = segments.get(first).previousRevision();
        MemoryModel model = (start == currentStart ? state : snapshots.get(start)).copy();
        timeline.truncateAfter(start);
        snapshots.tailMap(start, false).clear();
        walk(first, current, model, List.of(), true);
        state.become(model);
        return current;
    }

    /**
     * Applies a change at a revision. A known change (acknowledged, or placed) is applied as it happened, recorded
     * in the key timeline if asked; a tentative one (an unknown or failed operation the search tries) as it would have
     * happened in this state, and only if it would have changed something (else false: such an operation owns no
     * revision, and placing it explains nothing).
     */
    private boolean apply(Operation op, long revision, MemoryModel model, boolean known, boolean record) {
        Invocation call = op.call();
        String key = call.key();
        switch (call.type()) {
            case STORE -> model.put(key, call.value(), revision);
            case CAS -> {
                if (!known && model.version(key) != call.expectedVersion()) {
                    return false;
                }
                model.put(key, call.value(), revision);
            }
            case INCREMENT -> {
                Optional<String> sum = op.result() instanceof Result.Found found ? Optional.of(found.value())
                                                                                 : model.incremented(key, call.delta());
                if (sum.isEmpty()) {
                    return false;
                }
                model.put(key, sum.get(), revision);
            }
            case DELETE -> {
                if (!known && model.get(key).isEmpty()) {
                    return false;
                }
                model.remove(key);
            }
            case CLEAR -> {
                List<String> deleted = model.clear(key);
                if (!known && deleted.isEmpty()) {
                    return false;
                }
                if (record) {
                    deleted.forEach(gone -> timeline.record(gone, revision, model, op));
                }
                return true;
            }
            default -> throw new IllegalArgumentException(call.type() + " changes nothing");
        }
        if (record) {
            timeline.record(key, revision, model, op);
        }
        return true;
    }

    /**
     * Revisions where an unknown change could stand in a segment: those its reads report, those any answer saw as a
     * key's version (an unknown write of that key owns them; the answer may come segments later), and the few right
     * below the next change.
     */
    private Set<Long> freeRevisions(Segment segment) {
        TreeSet<Long> free = new TreeSet<>(
                keyOfVersionSeen.subMap(segment.previousRevision(), false, segment.limit(), false).keySet());
        for (Step read : segment.reads()) {
            free.add(read.revision());
        }
        if (segment.change() != null) {
            for (int below = 1; below <= MAX_INSERTIONS; below++) {
                free.add(segment.limit() - below);
            }
        }
        return free.subSet(segment.previousRevision(), false, segment.limit(), false);
    }

    private boolean hasRoom(Segment segment) {
        return !freeRevisions(segment).isEmpty();
    }

    /** The version of its key that a step's answer saw, 0 if none (absent, or no single key's version). */
    private static long versionSeen(Step step) {
        if (step.op().result() instanceof Result.Found found) {
            return found.version();
        }
        if (step.op().result() instanceof Result.Conflict conflict) {
            return conflict.currentVersion();
        }
        // A compare-and-set that took effect (acknowledged, or placed by a read) found its key at the version expected.
        return step.change() && step.call().type() == OpType.CAS ? step.call().expectedVersion() : 0;
    }

    /** Whether a change may own a revision: not one an answer saw as the version of a key it does not write. */
    private boolean mayOwn(Operation change, long revision) {
        String key = keyOfVersionSeen.get(revision);
        if (key == null) {
            return true;
        }
        OpType type = change.call().type();
        return key.equals(change.call().key()) && (type == OpType.STORE || type == OpType.CAS
                                                   || type == OpType.INCREMENT);
    }

    private void keepSnapshot(long startRevision, MemoryModel model) {
        snapshots.put(startRevision, model.copy());
        while (snapshots.size() > MAX_SNAPSHOTS) {
            snapshots.pollFirstEntry();
        }
    }

    /** Smaller effects first: the smallest explanation is the likeliest, and disturbs later checks least. */
    private static int bySmallestEffect(Operation one, Operation other) {
        int bySize = Integer.compare(effectSize(one.call().type()), effectSize(other.call().type()));
        return bySize != 0 ? bySize : Long.compare(one.invokedNanos(), other.invokedNanos());
    }

    private static int effectSize(OpType type) {
        return switch (type) {
            case STORE, CAS -> 0;
            case INCREMENT -> 1;
            case DELETE -> 2;
            default -> 3;
        };
    }
}
