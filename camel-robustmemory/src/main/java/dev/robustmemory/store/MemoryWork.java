package dev.robustmemory.store;

/** Work to run under one lock grant, in one transaction. */
@FunctionalInterface
public interface MemoryWork<T> {
    T run(MemorySession session) throws StoreException;
}
