package dev.robustmemory.model;

import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.NonNumericValueException;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;
import dev.robustmemory.memory.VersionConflictException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What an operation answered, in a form that the real store and the model can be compared by: versions relative to
 * the revision a scenario started from, refusals by kind. Fencing tokens and messages are left out: the model has
 * no grants and words its messages differently.
 */
final class Answers {

    private Answers() {
    }

    /** A value, its version relative to the scenario's base revision, and when it expires (0: never). */
    record Versioned(StoredValue value, long version, long expiresAtMicros) {
        @Override
        public String toString() {
            return describe(value) + "@" + version + (expiresAtMicros == 0 ? "" : " until " + expiresAtMicros);
        }
    }

    /** A refusal that leaves the work's transaction usable, so a work may go on after it. */
    record Refused(String refusal, long currentVersion) {
        @Override
        public String toString() {
            return refusal.equals("conflict") ? "conflict(current " + currentVersion + ")" : refusal;
        }
    }

    /** A single operation that the session performs for a work. */
    @FunctionalInterface
    interface Call {
        Object run() throws StoreException;
    }

    /**
     * Runs the call and returns its answer; a refusal the session documents as harmless is an answer too. Any other
     * failure (an SQL error, a closed session) propagates and fails the work.
     */
    static Object of(Call call, long base) throws StoreException {
        try {
            return normalize(call.run(), base);
        } catch (VersionConflictException e) {
            return new Refused("conflict", relative(e.currentVersion(), base));
        } catch (NonNumericValueException e) {
            return new Refused("non-numeric", 0);
        } catch (InvalidEntryException e) {
            return new Refused("invalid", 0);
        } catch (StoreException e) {
            if (e.getCause() != null) {
                throw e;
            }
            return new Refused("out-of-range", 0); // the increment's 64-bit overflow, refused before writing
        }
    }

    static Object normalize(Object raw, long base) {
        if (raw instanceof MemoryEntry entry) {
            return versioned(entry, base);
        }
        if (raw instanceof Map<?, ?> entries) {
            Map<Object, Object> normalized = new LinkedHashMap<>();
            entries.forEach((key, entry) -> normalized.put(key, normalize(entry, base)));
            return normalized;
        }
        if (raw instanceof Optional<?> optional) {
            return optional.map(found -> normalize(found, base)).orElse("absent");
        }
        return raw;
    }

    static Versioned versioned(MemoryEntry entry, long base) {
        return new Versioned(entry.value(), relative(entry.version(), base), entry.expiresAtMicros());
    }

    /** 0 stands for "absent" in versions and stays 0. */
    static long relative(long version, long base) {
        return version == 0 ? 0 : version - base;
    }

    static long absolute(long relativeVersion, long base) {
        return relativeVersion > 0 ? relativeVersion + base : relativeVersion;
    }

    /** Short enough for a shrunk counterexample: kind and content, long content by its length. */
    static String describe(StoredValue value) {
        String content = value.kind() == ValueKind.BYTES ? value.bytes().length + " bytes" : literal(value.text());
        return value.kind().name().toLowerCase() + " " + content;
    }

    /**
     * Text as a Java literal, long text by its length, so that a counterexample reads unambiguously (and a lone
     * surrogate does not garble the report it is printed in).
     */
    static String literal(String text) {
        if (text == null) {
            return "null";
        }
        if (text.length() > 12) {
            return "<" + text.length() + " chars>";
        }
        StringBuilder shown = new StringBuilder("\"");
        text.chars().forEach(c -> shown.append(c < 0x20 || c > 0x7e ? String.format("\\u%04X", c)
                                                                   : String.valueOf((char) c)));
        return shown.append('"').toString();
    }
}
