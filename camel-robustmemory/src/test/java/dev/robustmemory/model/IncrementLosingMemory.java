package dev.robustmemory.model;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;

import java.util.Optional;

/**
 * A planted bug for {@link ModelPropertiesCanFailTest}: an increment answers the right sum and version but never writes
 * it, so only what comes after can tell. Not a test itself (its name keeps surefire away).
 */
class IncrementLosingMemory extends MemoryModelPropertiesTest {

    @Override
    MemorySession sessionUnderTest(MemorySession session) {
        return new ForwardingSession(session) {
            @Override
            public MemoryEntry increment(String key, long delta) throws StoreException {
                Optional<MemoryEntry> current = delegate.load(key);
                long value = current.isPresent() ? Long.parseLong(current.get().value().text().strip()) : 0;
                // the revision a real increment would have taken: only a later read can tell
                return new MemoryEntry(key, StoredValue.json(Long.toString(value + delta)), delegate.revision() + 1,
                        delegate.fencingToken());
            }
        };
    }
}
