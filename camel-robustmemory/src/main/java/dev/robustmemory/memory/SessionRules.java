package dev.robustmemory.memory;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rules every backend's {@link MemorySession} applies alike, so that they answer alike: expected versions,
 * increments of JSON integers, expiry times.
 */
public final class SessionRules {

    /** Longest key accepted, in characters (UTF-16 code units, {@link String#length()}). */
    public static final int MAX_KEY_LENGTH = 1024;
    /** The latest expiry time stored (the end of year 9999, within DuckDB's and PostgreSQL's timestamps). */
    public static final long LATEST_EXPIRY_MICROS = micros(Instant.parse("9999-12-31T23:59:59Z"));
    /** A JSON integer as RFC 8259 writes one, with the whitespace JSON allows around a value. */
    private static final Pattern JSON_INTEGER = Pattern.compile("[ \t\n\r]*(-?(?:0|[1-9][0-9]*))[ \t\n\r]*");

    private SessionRules() {
    }

    /**
     * @throws InvalidEntryException for a null, empty or over-long key ({@value #MAX_KEY_LENGTH} characters at most),
     *                               or one with an unpaired surrogate (it would not be stored unchanged)
     */
    public static void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidEntryException("The key must not be null or empty");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new InvalidEntryException("The key is " + key.length() + " characters long; the limit is "
                                            + MAX_KEY_LENGTH + " characters");
        }
        Utf8.length(key, "The key");
    }

    /**
     * @throws InvalidEntryException for a value larger than {@code maxValueSize} (UTF-8 bytes for text), or text with
     *                               an unpaired surrogate (it cannot be stored as UTF-8 unchanged)
     */
    public static void checkValue(StoredValue value, long maxValueSize) {
        Objects.requireNonNull(value, "value");
        long size = value.kind() == ValueKind.BYTES ? value.bytes().length : Utf8.length(value.text(), "The value");
        if (size > maxValueSize) {
            throw new InvalidEntryException("The value is " + size + " bytes; the limit (maxValueSize) is "
                                            + maxValueSize + " bytes");
        }
    }

    /** A key prefix as the database must see it: null means all keys; refused when it is not valid UTF-16. */
    public static String literalPrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        Utf8.length(prefix, "The key prefix");
        return prefix;
    }

    public static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000), instant.getNano() / 1_000);
    }

    /**
     * When an entry written at {@code nowMicros} to live for {@code timeToLive} expires: 0 (never) for null, at
     * least a microsecond later, at most {@link #LATEST_EXPIRY_MICROS} (as good as never, yet expiring).
     *
     * @throws InvalidEntryException for a time to live that is not positive
     */
    public static long expiryAfter(long nowMicros, Duration timeToLive) {
        if (timeToLive == null) {
            return 0;
        }
        if (timeToLive.isZero() || timeToLive.isNegative()) {
            throw new InvalidEntryException("The time to live must be positive, not " + timeToLive);
        }
        long ttl;
        try {
            ttl = Math.multiplyExact(timeToLive.getSeconds(), 1_000_000) + timeToLive.getNano() / 1_000;
        } catch (ArithmeticException e) {
            ttl = Long.MAX_VALUE;
        }
        long expiresAt = nowMicros + Math.max(ttl, 1);
        return expiresAt < 0 || expiresAt > LATEST_EXPIRY_MICROS ? LATEST_EXPIRY_MICROS : expiresAt;
    }

    /** @throws InvalidEntryException for a negative expected version */
    public static void checkExpectedVersion(OptionalLong expectedVersion) {
        if (expectedVersion.isPresent() && expectedVersion.getAsLong() < 0) {
            throw new InvalidEntryException("The expected version must be 0 (the key must not exist) or more, not "
                                            + expectedVersion.getAsLong());
        }
    }

    /** @throws InvalidEntryException for an expected version of a key not among the values */
    public static void checkExpectedVersions(Map<String, StoredValue> values, Map<String, Long> expectedVersions) {
        for (String key : expectedVersions.keySet()) {
            if (!values.containsKey(key)) {
                throw new InvalidEntryException("An expected version is given for key '" + key
                                                + "', which is not among the values to store");
            }
        }
    }

    /**
     * Checks the expected versions key by key, in their order.
     *
     * @throws InvalidEntryException    for a negative one
     * @throws VersionConflictException for a key whose current version is not the expected one
     */
    public static void requireExpectedVersions(Map<String, Long> expectedVersions, Map<String, MemoryEntry> current)
            throws VersionConflictException {
        for (Map.Entry<String, Long> expected : expectedVersions.entrySet()) {
            if (expected.getValue() < 0) {
                throw new InvalidEntryException("The expected version of key '" + expected.getKey()
                                                + "' must be 0 (the key must not exist) or more, not "
                                                + expected.getValue());
            }
            MemoryEntry entry = current.get(expected.getKey());
            long found = entry == null ? 0 : entry.version();
            if (found != expected.getValue()) {
                throw new VersionConflictException(expected.getKey(), expected.getValue(), found);
            }
        }
    }

    /**
     * The value an increment writes: {@code delta} added to the current JSON integer (a missing key counts as 0).
     *
     * @throws NonNumericValueException when the current value is not a JSON integer literal
     * @throws StoreException           when the value or the sum is outside the 64-bit range
     */
    public static StoredValue incremented(String key, MemoryEntry current, long delta) throws StoreException {
        try {
            return StoredValue.json(Long.toString(Math.addExact(current == null ? 0 : integerValue(current), delta)));
        } catch (ArithmeticException e) {
            throw new StoreException("Adding " + delta + " to key '" + key + "' leaves the 64-bit integer range;"
                                     + " the value was left unchanged");
        }
    }

    private static long integerValue(MemoryEntry entry) throws StoreException {
        StoredValue value = entry.value();
        if (value.kind() != ValueKind.JSON) {
            throw new NonNumericValueException(entry.key(), value);
        }
        Matcher integer = JSON_INTEGER.matcher(value.text());
        if (!integer.matches()) {
            throw new NonNumericValueException(entry.key(), value);
        }
        try {
            return Long.parseLong(integer.group(1));
        } catch (NumberFormatException e) {
            throw new StoreException("The value of key '" + entry.key() + "' is an integer outside the 64-bit range;"
                                     + " it was left unchanged");
        }
    }
}
