package dev.robustmemory.history;

import java.util.Locale;

/** The operations of the history workload, one {@link dev.robustmemory.memory.MemorySession} call each. */
public enum OpType {
    /** Unconditional store of a unique text value. */
    STORE(true),
    /** Compare-and-set: store of a unique text value if the key is at the expected version (0 = absent). */
    CAS(true),
    LOAD(false),
    DELETE(true),
    EXISTS(false),
    /** Adds a delta to a JSON integer; a text value makes it a no-effect "non-numeric" outcome. */
    INCREMENT(true),
    /** Deletes every key with a prefix. */
    CLEAR(true),
    KEYS(false),
    SIZE(false);

    private final boolean mayChange;

    OpType(boolean mayChange) {
        this.mayChange = mayChange;
    }

    /** Whether some outcome of this operation changes the memory (whether this one did is told by its result). */
    public boolean mayChange() {
        return mayChange;
    }

    /** The name used in log lines. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static OpType ofWord(String word) {
        return valueOf(word.toUpperCase(Locale.ROOT));
    }
}
