package dev.robustmemory.history;

import java.util.Arrays;
import java.util.List;

/**
 * What an operation that completed normally answered. Domain refusals (a version conflict, a non-numeric value) are
 * results too: they are answers about the memory's state, and the checker verifies them like reads.
 */
public sealed interface Result {

    /** The text of this result in a log line (one token, no spaces). */
    String encode();

    /** Store and successful compare-and-set: the version written. */
    record Written(long version) implements Result {
        @Override
        public String encode() {
            return "written@" + version;
        }
    }

    /** Compare-and-set refused: the key's version at the time (0 = absent). */
    record Conflict(long currentVersion) implements Result {
        @Override
        public String encode() {
            return "conflict@" + currentVersion;
        }
    }

    /** Load of an existing key, and increment's new value. */
    record Found(String value, long version) implements Result {
        @Override
        public String encode() {
            return value + "@" + version;
        }
    }

    /** Load of a missing key. */
    record Absent() implements Result {
        @Override
        public String encode() {
            return "absent";
        }
    }

    /** Increment refused: the key holds a value that is not a JSON integer. */
    record NonNumeric() implements Result {
        @Override
        public String encode() {
            return "nonnumeric";
        }
    }

    /** Exists, and delete's "a value was deleted". */
    record Flag(boolean value) implements Result {
        @Override
        public String encode() {
            return Boolean.toString(value);
        }
    }

    /** Size, and clear's number of deleted keys. */
    record Count(long value) implements Result {
        @Override
        public String encode() {
            return Long.toString(value);
        }
    }

    /** Keys with a prefix, ascending. */
    record KeyList(List<String> keys) implements Result {
        public KeyList {
            keys = List.copyOf(keys);
        }

        @Override
        public String encode() {
            return "[" + String.join(",", keys) + "]";
        }
    }

    /** Reads the token {@link #encode()} wrote; which result types are possible depends on the operation. */
    static Result parse(OpType type, String token) {
        return switch (type) {
            case STORE -> new Written(versionAfter("written@", token));
            case CAS -> token.startsWith("conflict@") ? new Conflict(versionAfter("conflict@", token))
                                                      : new Written(versionAfter("written@", token));
            case LOAD, INCREMENT -> parseEntry(type, token);
            case DELETE, EXISTS -> parseFlag(token);
            case CLEAR, SIZE -> new Count(Long.parseLong(token));
            case KEYS -> parseKeys(token);
        };
    }

    private static Result parseEntry(OpType type, String token) {
        if (type == OpType.LOAD && token.equals("absent")) {
            return new Absent();
        }
        if (type == OpType.INCREMENT && token.equals("nonnumeric")) {
            return new NonNumeric();
        }
        int at = token.lastIndexOf('@');
        if (at <= 0) {
            throw new IllegalArgumentException("Not a value@version result of " + type.word() + ": " + token);
        }
        return new Found(token.substring(0, at), Long.parseLong(token.substring(at + 1)));
    }

    private static Flag parseFlag(String token) {
        if (!token.equals("true") && !token.equals("false")) {
            throw new IllegalArgumentException("Not true or false: " + token);
        }
        return new Flag(Boolean.parseBoolean(token));
    }

    private static KeyList parseKeys(String token) {
        if (!token.startsWith("[") || !token.endsWith("]")) {
            throw new IllegalArgumentException("Not a [key,key] list: " + token);
        }
        String inner = token.substring(1, token.length() - 1);
        return new KeyList(inner.isEmpty() ? List.of() : Arrays.asList(inner.split(",", -1)));
    }

    private static long versionAfter(String prefix, String token) {
        if (!token.startsWith(prefix)) {
            throw new IllegalArgumentException("Expected " + prefix + "<version>, not " + token);
        }
        return Long.parseLong(token.substring(prefix.length()));
    }
}
