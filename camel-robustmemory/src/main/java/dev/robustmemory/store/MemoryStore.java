package dev.robustmemory.store;

import dev.robustmemory.lock.CrossProcessLock;
import dev.robustmemory.lock.LockException;

import java.io.IOException;
import java.time.Duration;

/**
 * A key/value memory in one DuckDB file, every access under the cross-process lock. STUB: signatures only.
 */
public final class MemoryStore implements AutoCloseable {

    /** Longest key accepted, in characters. */
    public static final int MAX_KEY_LENGTH = 1024;

    private MemoryStore() {
    }

    /** Opens (creating when absent) the memory; validates paths; one instance per database per JVM is advised. */
    public static MemoryStore open(StoreSettings settings) throws StoreException, LockException {
        throw new UnsupportedOperationException("stub");
    }

    public StoreSettings settings() {
        throw new UnsupportedOperationException("stub");
    }

    public CrossProcessLock lock() {
        throw new UnsupportedOperationException("stub");
    }

    /** @throws InvalidEntryException for a null, empty or over-long key */
    public void checkKey(String key) {
        throw new UnsupportedOperationException("stub");
    }

    /** @throws InvalidEntryException for a value larger than maxValueSize */
    public void checkValue(StoredValue value) {
        throw new UnsupportedOperationException("stub");
    }

    /** Runs work under one grant in one transaction; commits when it returns, rolls back when it throws. */
    public <T> Outcome<T> execute(Duration lockTimeout, MemoryWork<T> work) throws IOException, InterruptedException {
        throw new UnsupportedOperationException("stub");
    }

    @Override
    public void close() {
    }
}
