package dev.robustmemory.memory;

/** Work to run under one lock grant, in one transaction. */
@FunctionalInterface
public interface MemoryWork<T> {

    T run(MemorySession session) throws StoreException;

    /**
     * Whether the work only reads ({@link #reading}). Such a work may run without the lock, while another process
     * holds it, when the journal shows that what this JVM knows is current; it then sees every write acknowledged
     * before it was submitted, as under the lock. Should it need anything this JVM does not know (a key not cached,
     * keys, size) or try to write, what it did is discarded and it runs again under the lock, so it must not act
     * outside its session.
     */
    default boolean onlyReads() {
        return false;
    }

    /** The work, marked as one that only reads: see {@link #onlyReads()}. */
    static <T> MemoryWork<T> reading(MemoryWork<T> work) {
        return new MemoryWork<>() {
            @Override
            public T run(MemorySession session) throws StoreException {
                return work.run(session);
            }

            @Override
            public boolean onlyReads() {
                return true;
            }
        };
    }
}
