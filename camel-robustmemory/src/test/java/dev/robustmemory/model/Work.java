package dev.robustmemory.model;

import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.StoreException;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One caller's work: operations run in order in one session (a refusal is that operation's answer and the work goes
 * on), and, when {@code failsAtEnd}, a throw after the last one, which must undo everything the work did.
 */
record Work(List<Op> ops, boolean failsAtEnd) {

    Work {
        ops = List.copyOf(ops);
    }

    static Work of(Op... ops) {
        return new Work(List.of(ops), false);
    }

    static Work failing(Op... ops) {
        return new Work(List.of(ops), true);
    }

    /** What one run of a work saw: the revision it started from, each operation's answer, the revision it left. */
    record Observation(long startRevision, List<Object> answers, long endRevision) {
        Observation {
            answers = List.copyOf(answers);
        }
    }

    /** The throw of a work that fails on purpose; it carries what the run saw, since it returns nothing. */
    static final class IntendedFailure extends RuntimeException {
        private final transient Observation observation;

        IntendedFailure(Observation observation) {
            super("the work fails on purpose after its operations", null, false, false);
            this.observation = observation;
        }

        Observation observation() {
            return observation;
        }
    }

    /** Runs the work in a session whose versions count from {@code base}. */
    Observation run(MemorySession session, long base) throws StoreException {
        long start = Revisions.of(session, base);
        List<Object> answers = new ArrayList<>(ops.size());
        for (Op op : ops) {
            answers.add(Answers.of(() -> op.run(session, base), base));
        }
        Observation observation = new Observation(start, answers, Revisions.of(session, base));
        if (failsAtEnd) {
            throw new IntendedFailure(observation);
        }
        return observation;
    }

    @Override
    public String toString() {
        return ops.stream().map(Op::toString).collect(Collectors.joining("; ", "[", failsAtEnd ? "; throw]" : "]"));
    }
}
