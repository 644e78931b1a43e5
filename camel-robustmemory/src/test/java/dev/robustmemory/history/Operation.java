package dev.robustmemory.history;

import java.util.Locale;

/**
 * One operation of a history: its invocation and how it ended.
 *
 * @param invokedNanos   {@link System#nanoTime()} just before the call (CLOCK_MONOTONIC, shared by every JVM of a
 *                       boot, so the logs of several JVMs merge)
 * @param status         ok, failed, or unknown (no completion line: its JVM was killed while it was in flight)
 * @param completedNanos when the outcome was known; for an unknown operation, when it had ended at the latest: its
 *                       thread's next invocation, else when its JVM was known dead
 *                       ({@link Long#MAX_VALUE} when nobody recorded that)
 * @param revision       for an ok operation, {@code session.revision()} as its work saw it
 * @param result         for an ok operation, what it answered
 * @param error          for a failed operation, the exception's class and message
 */
public record Operation(Invocation call, long invokedNanos, Status status, long completedNanos, long revision,
                        Result result, String error) {

    public enum Status { OK, FAILED, UNKNOWN }

    public boolean isOk() {
        return status == Status.OK;
    }

    public boolean isUnknown() {
        return status == Status.UNKNOWN;
    }

    public boolean isFailed() {
        return status == Status.FAILED;
    }

    /**
     * Whether this ok operation changed the memory, so that it owns its revision; an ok operation that did not is a
     * read at the revision it saw.
     */
    public boolean changed() {
        if (!isOk()) {
            return false;
        }
        return switch (call.type()) {
            case STORE -> true;
            case CAS -> result instanceof Result.Written;
            case INCREMENT -> result instanceof Result.Found;
            case DELETE -> result instanceof Result.Flag flag && flag.value();
            case CLEAR -> result instanceof Result.Count count && count.value() > 0;
            case LOAD, EXISTS, KEYS, SIZE -> false;
        };
    }

    /** One line for reports, times since {@code originNanos}. */
    public String describe(long originNanos) {
        String invoked = "+" + millis(invokedNanos - originNanos);
        String end = switch (status) {
            case OK -> "ok +" + millis(completedNanos - originNanos) + " at revision " + revision + ": "
                       + result.encode();
            case FAILED -> "failed +" + millis(completedNanos - originNanos) + ": " + error;
            case UNKNOWN -> "unknown (never completed" + (completedNanos == Long.MAX_VALUE ? ""
                    : "; ended by +" + millis(completedNanos - originNanos)) + ")";
        };
        return call.describe() + " — invoked " + invoked + ", " + end;
    }

    /** Nanoseconds as a person reads them: a real run spans seconds, a hand-written history nanoseconds. */
    static String millis(long nanos) {
        if (Math.abs(nanos) < 10_000) {
            return nanos + " ns";
        }
        return Math.abs(nanos) < 10_000_000 ? String.format(Locale.ROOT, "%.1f µs", nanos / 1e3)
                                            : String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }
}
