package dev.robustmemory.model;

import dev.robustmemory.store.MemoryEntry;
import dev.robustmemory.store.MemorySession;
import dev.robustmemory.store.StoreException;
import dev.robustmemory.store.StoredValue;

import java.util.List;
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
    public MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion) throws StoreException {
        return delegate.store(inside(key), value, expectedVersion);
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
    public MemoryEntry increment(String key, long delta) throws StoreException {
        return delegate.increment(inside(key), delta);
    }
}
