package dev.robustmemory.model;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A session confined to the keys under one prefix, which it hides: scenarios that share a memory see only their own
 * keys, so each starts empty without emptying the memory. Answers drop entry keys, so entries pass unchanged.
 *
 * <p>For valid keys only: the prefix would make an empty key valid and an almost too long one too long.
 */
final class PrefixedSession extends ForwardingSession {

    private final String prefix;

    PrefixedSession(MemorySession delegate, String prefix) {
        super(delegate);
        this.prefix = prefix;
    }

    private String inside(String key) {
        return prefix + key;
    }

    /** A null prefix means every key, which here means every key of the namespace. */
    private String insidePrefix(String keyPrefix) {
        return keyPrefix == null ? prefix : prefix + keyPrefix;
    }

    @Override
    public Optional<MemoryEntry> load(String key) throws StoreException {
        return delegate.load(inside(key));
    }

    @Override
    public void checkEntry(String key, StoredValue value) {
        delegate.checkEntry(inside(key), value);
    }

    @Override
    public Map<String, MemoryEntry> loadAll(Collection<String> keys) throws StoreException {
        Map<String, MemoryEntry> found = new LinkedHashMap<>();
        delegate.loadAll(keys.stream().map(this::inside).toList())
                .forEach((key, entry) -> found.put(key.substring(prefix.length()), entry));
        return found;
    }

    @Override
    public Map<String, MemoryEntry> storeAll(Map<String, StoredValue> values, Map<String, Long> expectedVersions,
                                            Duration timeToLive) throws StoreException {
        Map<String, StoredValue> inside = new LinkedHashMap<>();
        values.forEach((key, value) -> inside.put(inside(key), value));
        Map<String, Long> expectedInside = new LinkedHashMap<>();
        expectedVersions.forEach((key, version) -> expectedInside.put(inside(key), version));
        Map<String, MemoryEntry> written = new LinkedHashMap<>();
        delegate.storeAll(inside, expectedInside, timeToLive)
                .forEach((key, entry) -> written.put(key.substring(prefix.length()), entry));
        return written;
    }

    @Override
    public List<String> deleteAll(Collection<String> keys) throws StoreException {
        return delegate.deleteAll(keys.stream().map(this::inside).toList()).stream()
                .map(key -> key.substring(prefix.length())).toList();
    }

    @Override
    public MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion, Duration timeToLive)
            throws StoreException {
        return delegate.store(inside(key), value, expectedVersion, timeToLive);
    }

    @Override
    public boolean delete(String key) throws StoreException {
        return delegate.delete(inside(key));
    }

    @Override
    public boolean exists(String key) throws StoreException {
        return delegate.exists(inside(key));
    }

    @Override
    public List<String> keys(String keyPrefix) throws StoreException {
        return delegate.keys(insidePrefix(keyPrefix)).stream().map(key -> key.substring(prefix.length())).toList();
    }

    @Override
    public long clear(String keyPrefix) throws StoreException {
        return delegate.clear(insidePrefix(keyPrefix));
    }

    /** The namespace's size, not the memory's. */
    @Override
    public long size() throws StoreException {
        return delegate.keys(prefix).size();
    }

    @Override
    public MemoryEntry increment(String key, long delta, Duration timeToLiveIfCreated) throws StoreException {
        return delegate.increment(inside(key), delta, timeToLiveIfCreated);
    }
}
