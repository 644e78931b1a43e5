package dev.robustmemory.memory;

/** How a value was given, so that it comes back as the same kind. */
public enum ValueKind {
    /** Text, returned as a String. */
    TEXT,
    /** Raw bytes, returned as byte[]. */
    BYTES,
    /** A JSON document (object, array, number, boolean or null), kept as its JSON text. */
    JSON
}
