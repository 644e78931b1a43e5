package dev.robustmemory.memory;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The operations available while one lock grant is held. Everything done through one session commits together
 * when the work returns, or not at all when it throws. Not thread-safe: one session belongs to one work.
 */
public interface MemorySession {

    /** The fencing token of the grant this session runs under; every write records it. */
    long fencingToken();

    /**
     * The memory's revision as this work sees it: the revision of the latest change, by any process, that this work
     * observes, its own included. Every change (a store, an increment, a delete that deleted, a clear that deleted
     * something, the whole clear under one revision) gets a revision greater than every change committed before it,
     * so revisions order all changes of the memory across keys and processes; a read sees exactly the changes up to
     * the revision it reports. Revisions of batches that were rolled back are given again.
     */
    long revision();

    /**
     * The memory's time, in microseconds since the epoch: what expiry is decided by. An entry whose
     * {@link MemoryEntry#expiresAtMicros()} is not after it is absent for every operation, in every process, though
     * its row may stay in the file until it is reclaimed. All works of one batch share one time; it never goes back,
     * across processes, even when the wall clock does (see the README's guarantees).
     */
    long nowMicros();

    /**
     * Fences this work's writes with a named lock of this memory (on DuckDB the names lock file
     * {@code <database>.names.lock}): the work goes on only if {@code token} is still the newest grant of
     * {@code lockName}. Call it before the work writes. The check runs under the memory's lock, and a grant's token is
     * durable before the grant is returned, so a work that passes it commits before any write of a later holder of
     * the name: a holder that lost its name without noticing (paused, then resumed; its names file replaced) cannot
     * overwrite what a newer holder wrote. On PostgreSQL the names are lease rows ({@code PostgresNamedLocks}): the
     * check reads the name's row {@code FOR SHARE}, so no later grant is made before this work commits, and it also
     * refuses the newest grant once its lease has expired by the server's clock, or it was released, even if nobody
     * took the name since. Only writes need fencing; a reading work ({@link MemoryWork#reading}) must not ask.
     *
     * @throws FencedWriteException     when the newest grant of the name has another token; throwing it on makes the
     *                                  work write nothing
     * @throws StoreException           when the names lock file (on PostgreSQL: the locks table) cannot be read
     * @throws IllegalArgumentException for an invalid lock name
     * @throws IllegalStateException    when called by a reading work
     */
    void requireNewestGrant(String lockName, long token) throws StoreException;

    Optional<MemoryEntry> load(String key) throws StoreException;

    /**
     * Checks a key and value as {@link #store} would, reading and writing nothing: what lets a work that writes many
     * refuse them all before writing any.
     *
     * @throws InvalidEntryException when {@link #store} would refuse them
     */
    void checkEntry(String key, StoredValue value);

    /**
     * Writes a value.
     *
     * @param expectedVersion when present, a compare-and-set: write only if the key's current version equals it
     *                        (0 = the key must not exist)
     * @param timeToLive      how long the value lives from now ({@link #nowMicros()}); null for ever
     * @return the entry as written, with its new version: the revision of this change
     * @throws VersionConflictException when the expected version does not match; nothing is written
     * @throws InvalidEntryException    for an invalid key or value, or a time to live that is not positive
     */
    MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion, Duration timeToLive)
            throws StoreException;

    /** Writes a value that never expires: {@link #store(String, StoredValue, OptionalLong, Duration)}. */
    default MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion) throws StoreException {
        return store(key, value, expectedVersion, null);
    }

    /** @return whether a value was deleted */
    boolean delete(String key) throws StoreException;

    /**
     * Deletes a key only if its current version equals {@code expectedVersion} (0: the key must not exist, and then
     * nothing is deleted).
     *
     * @return whether a value was deleted
     * @throws VersionConflictException when the version does not match; nothing is deleted
     */
    default boolean delete(String key, long expectedVersion) throws StoreException {
        if (expectedVersion < 0) {
            throw new InvalidEntryException("The expected version must be 0 (the key must not exist) or more, not "
                                            + expectedVersion);
        }
        long current = load(key).map(MemoryEntry::version).orElse(0L);
        if (current != expectedVersion) {
            throw new VersionConflictException(key, expectedVersion, current);
        }
        return delete(key);
    }

    /**
     * Reads many keys at once, as one read of the memory.
     *
     * @return the entries found, in the order of {@code keys} (a key given twice appears once); absent keys are left
     *         out
     */
    default Map<String, MemoryEntry> loadAll(Collection<String> keys) throws StoreException {
        Map<String, MemoryEntry> found = new LinkedHashMap<>();
        for (String key : keys) {
            Optional<MemoryEntry> entry = load(key);
            if (entry.isPresent()) {
                found.put(key, entry.get());
            }
        }
        return found;
    }

    /**
     * Writes many values, all or nothing, as one change: every key, value and expected version is checked before
     * anything is written, and every key written gets the same version, the revision of this change (as a
     * {@link #clear} takes one revision for all it deletes).
     *
     * @param expectedVersions a compare-and-set for some of the keys (0 = must not exist); each must be a key of
     *                         {@code values}
     * @param timeToLive       how long every value lives from now; null for ever
     * @return the entries as written, in the order of {@code values}
     * @throws VersionConflictException for the first key of {@code expectedVersions} whose version does not match;
     *                                  nothing is written
     * @throws InvalidEntryException    for an invalid key, value, expected version or time to live; nothing is
     *                                  written
     */
    Map<String, MemoryEntry> storeAll(Map<String, StoredValue> values, Map<String, Long> expectedVersions,
                                      Duration timeToLive) throws StoreException;

    /** Writes many values that never expire: {@link #storeAll(Map, Map, Duration)}. */
    default Map<String, MemoryEntry> storeAll(Map<String, StoredValue> values, Map<String, Long> expectedVersions)
            throws StoreException {
        return storeAll(values, expectedVersions, null);
    }

    /**
     * Deletes many keys at once, as one change: the deletions share one revision.
     *
     * @return the keys that existed and were deleted, in the order of {@code keys}
     * @throws InvalidEntryException for an invalid key; nothing is deleted
     */
    List<String> deleteAll(Collection<String> keys) throws StoreException;

    boolean exists(String key) throws StoreException;

    /** Keys in ascending order; {@code prefix} (null or empty = all) is matched literally, '%' and '_' included. */
    List<String> keys(String prefix) throws StoreException;

    /** Deletes every key with the prefix (null or empty = all). @return how many were deleted */
    long clear(String prefix) throws StoreException;

    long size() throws StoreException;

    /**
     * Starts keeping the memory's change log, or keeps it longer: from now on every committed change, by any process,
     * is logged ({@link #changesAfter}) and kept for at least {@code retention} (the longest any reader asked for;
     * older changes are reclaimed in the background). Logging costs every apply of the journal to DuckDB the changes'
     * rows.
     *
     * @return the revision after which the log holds every change: a reader may start after it
     */
    long keepChanges(Duration retention) throws StoreException;

    /**
     * The committed changes after {@code after}, oldest first (by revision, then key), of the keys starting with
     * {@code prefix} (null or empty: all; matched literally), at most {@code limit}: a value's change carries the
     * entry it wrote, a deletion (by delete, deleteAll or clear) an empty entry. Expiry is not a change: an expired
     * value's last change says when it expires. Applies the journal first, like {@link #keys}.
     *
     * @throws ChangesLostException  when the log no longer holds every change after {@code after} (reclaimed after
     *                               the retention, or made before the log was kept)
     * @throws IllegalStateException when the log is not kept ({@link #keepChanges})
     */
    List<MemoryChange> changesAfter(MemoryChange.Position after, String prefix, int limit) throws StoreException;

    /**
     * Adds {@code delta} to a JSON integer value; a missing (or expired) key counts as 0. The key keeps its expiry
     * time; one that the increment creates lives for {@code timeToLiveIfCreated} (null: for ever), which makes a
     * counter of a fixed window: it counts from its first increment until it expires.
     *
     * @throws NonNumericValueException when the current value is not a JSON integer; it stays unchanged
     * @throws InvalidEntryException    for an invalid key or a time to live that is not positive
     */
    MemoryEntry increment(String key, long delta, Duration timeToLiveIfCreated) throws StoreException;

    /** Adds {@code delta} to a JSON integer value: {@link #increment(String, long, Duration)}, creating no expiry. */
    default MemoryEntry increment(String key, long delta) throws StoreException {
        return increment(key, delta, null);
    }
}
