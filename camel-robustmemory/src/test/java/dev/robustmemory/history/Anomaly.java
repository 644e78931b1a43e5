package dev.robustmemory.history;

import java.util.List;

/**
 * One thing no sequential execution of the memory can explain, named, with the operations that show it.
 *
 * @param explanation what was expected against what was seen, in words
 * @param operations  the operations involved, the observing one first
 */
public record Anomaly(Kind kind, String explanation, List<Operation> operations) {

    public enum Kind {
        /** Two changes acknowledged with the same revision. */
        DUPLICATE_REVISION("duplicate revision"),
        /** A change's returned version is not the revision it reported. */
        VERSION_NOT_REVISION("version is not the revision"),
        /** A change ordered before an operation that had completed before the change was invoked. */
        REAL_TIME_VIOLATION("real-time violation"),
        /** A read that missed a change it must have seen (by revision order or by real time). */
        STALE_READ("stale read"),
        /** An increment or compare-and-set built on a state that had already been replaced. */
        LOST_UPDATE("lost update"),
        /** A read returned the unique value of a store that failed. */
        READ_OF_FAILED_WRITE("read of failed write"),
        /** Only the effect of a failed operation explains what was seen. */
        FAILED_WRITE_TOOK_EFFECT("failed write took effect"),
        /** A key seen again, with an old value, after a delete or clear removed it. */
        RESURRECTED_KEY("resurrected key"),
        /** Size, or a clear's number of deleted keys, differs from the memory's. */
        WRONG_COUNT("wrong count"),
        /** Keys listed that the memory did not hold, or held keys not listed. */
        WRONG_KEYS("wrong keys"),
        /** A value or version that the memory never held, nor will. */
        IMPOSSIBLE_READ("impossible read");

        private final String title;

        Kind(String title) {
            this.title = title;
        }

        public String title() {
            return title;
        }
    }

    public Anomaly {
        operations = List.copyOf(operations);
    }

    /** Readable, times since {@code originNanos}. */
    public String describe(long originNanos) {
        StringBuilder text = new StringBuilder(kind.title()).append(": ").append(explanation);
        for (Operation op : operations) {
            text.append("\n    ").append(op.describe(originNanos));
        }
        return text.toString();
    }
}
