package dev.robustmemory.memory;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A value as the store keeps it: its kind plus either text (TEXT, JSON) or bytes (BYTES). The store does not
 * interpret JSON text except to add to an integer in {@link MemorySession#increment}.
 */
public record StoredValue(ValueKind kind, String text, byte[] bytes) {

    public StoredValue {
        Objects.requireNonNull(kind, "kind");
        if ((kind == ValueKind.BYTES) != (bytes != null) || (kind == ValueKind.BYTES) == (text != null)) {
            throw new IllegalArgumentException(kind + " values carry " + (kind == ValueKind.BYTES ? "bytes" : "text"));
        }
    }

    public static StoredValue text(String text) {
        return new StoredValue(ValueKind.TEXT, Objects.requireNonNull(text, "text"), null);
    }

    public static StoredValue json(String json) {
        return new StoredValue(ValueKind.JSON, Objects.requireNonNull(json, "json"), null);
    }

    public static StoredValue bytes(byte[] bytes) {
        return new StoredValue(ValueKind.BYTES, null, Objects.requireNonNull(bytes, "bytes"));
    }

    /** The size counted against the value size limit: UTF-8 length of text, length of bytes. */
    public long size() {
        return kind == ValueKind.BYTES ? bytes.length : text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StoredValue that && kind == that.kind && Objects.equals(text, that.text)
               && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, text, Arrays.hashCode(bytes));
    }

    @Override
    public String toString() {
        return kind + (kind == ValueKind.BYTES ? "[" + bytes.length + " bytes]" : "[" + text.length() + " chars]");
    }
}
