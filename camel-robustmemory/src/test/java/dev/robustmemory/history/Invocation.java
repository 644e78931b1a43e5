package dev.robustmemory.history;

/**
 * What a client asked for: everything an invoke line records.
 *
 * @param process           the worker JVM's label ({@code p3}); it names the unique values the JVM writes
 * @param thread            the worker thread's label within the JVM
 * @param id                unique within the process
 * @param key               the key, or the prefix for clear and keys; null for size
 * @param value             the unique value written by store and compare-and-set; null otherwise
 * @param expectedVersion   compare-and-set's expected version (0 = must not exist); 0 otherwise
 * @param delta             increment's delta; 0 otherwise
 * @param lockTimeoutMillis the lock timeout the call was given; -1 when not recorded (hand-written histories)
 * @param api               {@code sync} (execute) or {@code async} (executeAsync); "-" when not recorded
 */
public record Invocation(String process, String thread, long id, OpType type, String key, String value,
                         long expectedVersion, long delta, long lockTimeoutMillis, String api) {

    public static Invocation of(String process, String thread, long id, OpType type, String key) {
        return new Invocation(process, thread, id, type, key, null, 0, 0, -1, "-");
    }

    public Invocation writing(String uniqueValue) {
        return new Invocation(process, thread, id, type, key, uniqueValue, expectedVersion, delta,
                lockTimeoutMillis, api);
    }

    public Invocation expecting(long version) {
        return new Invocation(process, thread, id, type, key, value, version, delta, lockTimeoutMillis, api);
    }

    public Invocation adding(long amount) {
        return new Invocation(process, thread, id, type, key, value, expectedVersion, amount, lockTimeoutMillis, api);
    }

    public Invocation via(String callApi, long timeoutMillis) {
        return new Invocation(process, thread, id, type, key, value, expectedVersion, delta, timeoutMillis, callApi);
    }

    /** Short and readable: {@code p2 t1 #40 cas a/1 w2-40 if version 7}. */
    public String describe() {
        StringBuilder text = new StringBuilder(process).append(' ').append(thread).append(" #").append(id)
                .append(' ').append(type.word());
        if (key != null) {
            text.append(' ').append(type == OpType.CLEAR || type == OpType.KEYS ? "prefix '" + key + "'" : key);
        }
        switch (type) {
            case STORE -> text.append(' ').append(value);
            case CAS -> text.append(' ').append(value).append(" if version ").append(expectedVersion);
            case INCREMENT -> text.append(' ').append(delta >= 0 ? "+" : "").append(delta);
            default -> {
            }
        }
        if (lockTimeoutMillis >= 0) {
            text.append(" [").append(api).append(", lock timeout ").append(lockTimeoutMillis).append(" ms]");
        }
        return text.toString();
    }
}
