package dev.robustmemory.model;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.StoreException;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A planted bug for {@link ModelPropertiesCanFailTest}: loads answer what the scenario's first load of the key
 * found, as a cache that is never invalidated would. Not a test itself (its name keeps surefire away).
 */
class StaleReadingMemory extends MemoryModelPropertiesTest {

    private final Map<String, Optional<MemoryEntry>> firstLoads = new HashMap<>();

    @Override
    void scenarioBegins() {
        firstLoads.clear();
    }

    @Override
    MemorySession sessionUnderTest(MemorySession session) {
        return new ForwardingSession(session) {
            @Override
            public Optional<MemoryEntry> load(String key) throws StoreException {
                Optional<MemoryEntry> first = firstLoads.get(key);
                if (first == null) {
                    first = delegate.load(key);
                    firstLoads.put(key, first);
                }
                return first;
            }
        };
    }
}
