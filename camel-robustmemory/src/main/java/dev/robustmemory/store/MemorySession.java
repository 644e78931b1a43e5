package dev.robustmemory.store;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The operations available while one lock grant is held. Everything done through one session commits together
 * when the work returns, or not at all when it throws. Not thread-safe: one session belongs to one work.
 */
public interface MemorySession {

    /** The fencing token of the grant this session runs under; every write records it. */
    long fencingToken();

    Optional<MemoryEntry> load(String key) throws StoreException;

    /**
     * Writes a value.
     *
     * @param expectedVersion when present, a compare-and-set: write only if the key's current version equals it
     *                        (0 = the key must not exist)
     * @return the entry as written, with its new version
     * @throws VersionConflictException when the expected version does not match; nothing is written
     */
    MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion) throws StoreException;

    /** @return whether a value was deleted */
    boolean delete(String key) throws StoreException;

    boolean exists(String key) throws StoreException;

    /** Keys in ascending order; {@code prefix} (null or empty = all) is matched literally, '%' and '_' included. */
    List<String> keys(String prefix) throws StoreException;

    /** Deletes every key with the prefix (null or empty = all). @return how many were deleted */
    long clear(String prefix) throws StoreException;

    long size() throws StoreException;

    /**
     * Adds {@code delta} to a JSON integer value; a missing key counts as 0.
     *
     * @throws NonNumericValueException when the current value is not a JSON integer; it stays unchanged
     */
    MemoryEntry increment(String key, long delta) throws StoreException;
}
