package dev.robustmemory.camel;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict parsing of the duration options and headers ({@code lockTimeout}, {@code staleLockThreshold}).
 *
 * <p>Camel's own conversion (TimeUtils) turns text it does not understand ({@code abc}, {@code 10x}, {@code 10S})
 * into 0 and keeps negative numbers, so a typo in {@code lockTimeout} would silently mean "never wait". This parser
 * accepts only: plain milliseconds ({@code 5000}), Camel's unit form in the order d, h, m, s, ms ({@code 10s},
 * {@code 500ms}, {@code 1m30s}, {@code 1h}, {@code 2d}), and ISO-8601 ({@code PT10S}). Everything else, and every
 * negative value, is refused with a message naming the option and the value.
 */
final class Durations {

    private static final Pattern DIGITS = Pattern.compile("\\d+");
    private static final Pattern UNITS = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?");
    private static final String FORMS = "use milliseconds (5000), units d, h, m, s, ms (10s, 500ms, 1m30s) or ISO-8601 (PT10S)";

    private Durations() {
    }

    /**
     * Parses a non-negative duration.
     *
     * @param  name                     the option or header the text came from, for the error message
     * @throws IllegalArgumentException when the text is empty, malformed, negative or too large
     */
    static Duration parse(String name, String text) {
        if (text == null || text.isBlank()) {
            throw invalid(name, text, "is empty");
        }
        String trimmed = text.trim();
        try {
            Duration duration = parseTrimmed(trimmed);
            if (duration == null) {
                throw invalid(name, text, trimmed.startsWith("-") ? "is negative" : "is not a duration");
            }
            if (duration.isNegative()) {
                throw invalid(name, text, "is negative");
            }
            return duration;
        } catch (ArithmeticException | NumberFormatException | DateTimeParseException e) {
            throw invalid(name, text, "is not a duration or is too large");
        }
    }

    /**
     * A per-message duration from a header: a {@link Duration}, a whole number of milliseconds, or text in the forms
     * {@link #parse} accepts.
     */
    static Duration fromHeader(String header, Object value) {
        if (value instanceof Duration duration) {
            if (duration.isNegative()) {
                throw invalid(header, duration, "is negative");
            }
            return duration;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            long millis = ((Number) value).longValue();
            if (millis < 0) {
                throw invalid(header, value, "is negative");
            }
            return Duration.ofMillis(millis);
        }
        if (value instanceof CharSequence text) {
            return parse(header, text.toString());
        }
        throw invalid(header, value, "has type " + value.getClass().getName()
                                     + "; expected a java.time.Duration, a whole number of milliseconds or text");
    }

    private static Duration parseTrimmed(String text) {
        if (DIGITS.matcher(text).matches()) {
            return Duration.ofMillis(Long.parseLong(text));
        }
        if (text.startsWith("P") || text.startsWith("-P")) {
            return Duration.parse(text);
        }
        Matcher units = UNITS.matcher(text);
        if (!units.matches()) {
            return null;
        }
        return Duration.ofDays(number(units.group(1)))
                .plusHours(number(units.group(2)))
                .plusMinutes(number(units.group(3)))
                .plusSeconds(number(units.group(4)))
                .plusMillis(number(units.group(5)));
    }

    private static long number(String digits) {
        return digits == null ? 0 : Long.parseLong(digits);
    }

    private static IllegalArgumentException invalid(String name, Object value, String problem) {
        return new IllegalArgumentException("Invalid duration for " + name + ": '" + value + "' " + problem + "; " + FORMS);
    }
}
