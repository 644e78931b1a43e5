package dev.robustmemory.model;

import dev.robustmemory.memory.MemoryChange;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** A session that passes every call on; subclasses change one operation (a key namespace, a planted bug). */
class ForwardingSession implements MemorySession {

    final MemorySession delegate;

    ForwardingSession(MemorySession delegate) {
        this.delegate = delegate;
    }

    @Override
    public long fencingToken() {
        return delegate.fencingToken();
    }

    @Override
    public long revision() {
        return delegate.revision();
    }

    @Override
    public long nowMicros() {
        return delegate.nowMicros();
    }

    @Override
    public void requireNewestGrant(String lockName, long token) throws StoreException {
        delegate.requireNewestGrant(lockName, token);
    }

    @Override
    public Optional<MemoryEntry> load(String key) throws StoreException {
        return delegate.load(key);
    }

    @Override
    public void checkEntry(String key, StoredValue value) {
        delegate.checkEntry(key, value);
    }

    @Override
    public Map<String, MemoryEntry> storeAll(Map<String, StoredValue> values, Map<String, Long> expectedVersions,
                                            Duration timeToLive) throws StoreException {
        return delegate.storeAll(values, expectedVersions, timeToLive);
    }

    @Override
    public List<String> deleteAll(Collection<String> keys) throws StoreException {
        return delegate.deleteAll(keys);
    }

    @Override
    public MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion, Duration timeToLive)
            throws StoreException {
        return delegate.store(key, value, expectedVersion, timeToLive);
    }

    @Override
    public boolean delete(String key) throws StoreException {
        return delegate.delete(key);
    }

    @Override
    public boolean exists(String key) throws StoreException {
        return delegate.exists(key);
    }

    @Override
    public List<String> keys(String prefix) throws StoreException {
        return delegate.keys(prefix);
    }

    @Override
    public long clear(String prefix) throws StoreException {
        return delegate.clear(prefix);
    }

    @Override
    public long size() throws StoreException {
        return delegate.size();
    }

    @Override
    public long keepChanges(Duration retention) throws StoreException {
        return delegate.keepChanges(retention);
    }

    @Override
    public List<MemoryChange> changesAfter(MemoryChange.Position after, String prefix, int limit)
            throws StoreException {
        return delegate.changesAfter(after, prefix, limit);
    }

    @Override
    public MemoryEntry increment(String key, long delta, Duration timeToLiveIfCreated) throws StoreException {
        return delegate.increment(key, delta, timeToLiveIfCreated);
    }
}
