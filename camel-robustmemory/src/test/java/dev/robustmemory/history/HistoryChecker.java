package dev.robustmemory.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Judges a {@link History} of the memory: a pure function from the history to a {@link Verdict}.
 *
 * <p><b>Why no search over orders.</b> Every change carries a memory-wide revision, unique and growing in commit
 * order, and every read reports the revision of the latest change it saw. That is the order a linearizability checker
 * would have to find, handed over by the memory itself, so the checker only verifies it, in near-linear time:
 * <ol type="a">
 * <li>no two acknowledged changes share a revision, and a change's version is its revision;</li>
 * <li>the revision order respects real time: an operation that completed before another was invoked has a revision
 * no greater (smaller, if the later one is a change);</li>
 * <li>replaying the changes in revision order on a sequential model ({@link MemoryModel}), every acknowledged
 * answer is what the model says at its revision (a change's, in the state just before it);</li>
 * <li>failed operations had no effect: nobody reads their unique values, and no mismatch needs them;</li>
 * <li>unknown operations (in flight when their JVM was killed) may or may not have taken effect: a read of an unknown
 * store's unique value places it at the version read; a mismatch that unknown changes explain is explained by
 * inserting them at free revisions (revisions may have gaps: a rolled-back batch may consume some), after everything
 * that completed before they were invoked and before everything invoked after their JVM died. Each is inserted once
 * at most, {@value RevisionReplay#MAX_INSERTIONS} at a time, smallest explanations first ({@link RevisionReplay}).
 * A revision that any answer saw as a key's version (a conflict's, say) is free for a write of that key only.</li>
 * </ol>
 * Inserted unknowns are chosen where they are first needed and never taken back: a history whose only explanation
 * needs another choice than the first that fits is reported, wrongly, as an anomaly. With unique values (a read of an
 * unknown store places it exactly) and versions kept for their key's writes, that takes several unknown changes to
 * the same keys that nobody read directly.
 *
 * <p>A read reporting a revision that no known change has is accepted as it is (an unknown change may own it); its
 * answer is still held to every change up to that revision.
 */
public final class HistoryChecker {

    private HistoryChecker() {
    }

    public static Verdict check(History history) {
        Findings findings = new Findings();
        Map<String, Operation> writerOfValue = new HashMap<>();
        List<Step> changes = new ArrayList<>();
        List<Step> reads = new ArrayList<>();
        List<Operation> unknownChanges = new ArrayList<>();
        List<Operation> failedChanges = new ArrayList<>();
        for (Operation op : history.operations()) {
            if (op.call().value() != null) {
                writerOfValue.put(op.call().value(), op);
            }
            if (op.isOk()) {
                Step step = Step.acknowledged(op);
                (step.change() ? changes : reads).add(step);
            } else if (op.call().type().mayChange()) {
                (op.isUnknown() ? unknownChanges : failedChanges).add(op);
            }
        }
        List<Step> acknowledged = new ArrayList<>(changes);
        acknowledged.addAll(reads);

        List<Step> observed = placeWritesThatWereRead(reads, writerOfValue, findings);
        observed.forEach(step -> {
            unknownChanges.remove(step.op());
            failedChanges.remove(step.op());
        });
        changes.addAll(observed);
        checkRevisions(changes, findings);
        List<Step> inserted = new RevisionReplay(changes, reads, unknownChanges, failedChanges,
                new RealTimeBounds(acknowledged), writerOfValue, findings).run();
        List<Step> ordered = new ArrayList<>(acknowledged);
        ordered.addAll(observed);
        ordered.addAll(inserted);
        checkRealTime(ordered, findings);

        long unknownTookEffect = observed.stream().filter(step -> step.op().isUnknown()).count()
                                 + inserted.stream().filter(step -> step.op().isUnknown()).count();
        return new Verdict(findings.kept(), findings.found(), history.count(Operation.Status.OK),
                history.count(Operation.Status.FAILED), history.count(Operation.Status.UNKNOWN), unknownTookEffect,
                history.originNanos());
    }

    /**
     * (d, e) A unique value read tells that its write took effect, at the version read: an unknown store or
     * compare-and-set is placed there; a failed one is reported, and placed too, so that the replay follows what the
     * memory did and reports it once.
     */
    private static List<Step> placeWritesThatWereRead(List<Step> reads, Map<String, Operation> writerOfValue,
                                                      Findings findings) {
        Map<Operation, Long> versionRead = new IdentityHashMap<>();
        for (Step read : reads) {
            if (read.call().type() != OpType.LOAD || !(read.op().result() instanceof Result.Found found)) {
                continue;
            }
            Operation writer = writerOfValue.get(found.value());
            if (writer == null) {
                if (!new MemoryModel.Entry(found.value(), found.version()).numeric()) {
                    findings.report(Anomaly.Kind.IMPOSSIBLE_READ, "read " + found.encode() + ", a value no"
                            + " operation wrote", read.op());
                }
                continue;
            }
            if (writer.isOk()) {
                continue; // the replay holds the read to the write
            }
            Long before = versionRead.putIfAbsent(writer, found.version());
            if (before == null && writer.isFailed()) {
                findings.report(Anomaly.Kind.READ_OF_FAILED_WRITE, "read " + found.encode() + ", the value of a"
                        + " store that failed", read.op(), writer);
            } else if (before != null && before != found.version()) {
                findings.report(Anomaly.Kind.IMPOSSIBLE_READ, "read " + found.encode() + ", a value also read at"
                        + " version " + before + ": one write, two versions", read.op(), writer);
            }
        }
        List<Step> placed = new ArrayList<>();
        versionRead.forEach((writer, version) -> placed.add(Step.placed(writer, version)));
        return placed;
    }

    /** (a) One revision per change, and a change's version is its revision. */
    private static void checkRevisions(List<Step> changes, Findings findings) {
        Map<Long, Step> owner = new HashMap<>();
        for (Step change : changes) {
            Step other = owner.putIfAbsent(change.revision(), change);
            if (other != null) {
                findings.report(Anomaly.Kind.DUPLICATE_REVISION, "two changes with revision " + change.revision(),
                        change.op(), other.op());
            }
            Result result = change.op().result();
            long version = result instanceof Result.Written written ? written.version()
                    : result instanceof Result.Found found ? found.version() : change.revision();
            if (version != change.revision()) {
                findings.report(Anomaly.Kind.VERSION_NOT_REVISION, "wrote version " + version + " at revision "
                        + change.revision(), change.op());
            }
        }
    }

    /**
     * (b) Whatever completed before an operation was invoked comes before it in the revision order. One pass over the
     * invocations, keeping the highest revision of what had completed by then; an unknown operation counted as done
     * completed, at the latest, when its thread invoked its next operation or its JVM was known dead.
     */
    private static void checkRealTime(List<Step> steps, Findings findings) {
        List<Step> byInvocation = new ArrayList<>(steps);
        byInvocation.sort(Comparator.comparingLong(step -> step.op().invokedNanos()));
        List<Step> byCompletion = new ArrayList<>(steps);
        byCompletion.sort(Comparator.comparingLong(step -> step.op().completedNanos()));
        int completed = 0;
        Step latest = null;
        for (Step step : byInvocation) {
            while (completed < byCompletion.size()
                   && byCompletion.get(completed).op().completedNanos() < step.op().invokedNanos()) {
                Step done = byCompletion.get(completed++);
                if (latest == null || done.revision() > latest.revision()) {
                    latest = done;
                }
            }
            if (latest == null) {
                continue;
            }
            if (!step.change() && step.revision() < latest.revision()) {
                findings.report(Anomaly.Kind.STALE_READ, "read at revision " + step.revision() + ", invoked after"
                        + " an operation at revision " + latest.revision() + " had completed", step.op(), latest.op());
            } else if (step.change() && step.revision() <= latest.revision()) {
                findings.report(Anomaly.Kind.REAL_TIME_VIOLATION, "changed at revision " + step.revision()
                        + ", invoked after an operation at revision " + latest.revision() + " had completed",
                        step.op(), latest.op());
            }
        }
    }
}
