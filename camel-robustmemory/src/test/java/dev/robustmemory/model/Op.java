package dev.robustmemory.model;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * One session operation with its arguments, run alike against the real store and against the {@link MemoryModel}.
 * Expected versions are relative to the scenario's base revision, like the versions in the answers.
 */
sealed interface Op {

    /** @return the operation's raw result; the caller turns it into an answer with {@link Answers#of} */
    Object run(MemorySession session, long base) throws StoreException;

    record Load(String key) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.load(key);
        }

        @Override
        public String toString() {
            return "load(" + show(key) + ")";
        }
    }

    record Store(String key, StoredValue value, OptionalLong expectedVersion) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            OptionalLong expected = expectedVersion.isPresent()
                                    ? OptionalLong.of(Answers.absolute(expectedVersion.getAsLong(), base))
                                    : expectedVersion;
            return session.store(key, value, expected);
        }

        @Override
        public String toString() {
            return "store(" + show(key) + ", " + Answers.describe(value)
                   + (expectedVersion.isPresent() ? ", expect " + expectedVersion.getAsLong() : "") + ")";
        }
    }

    /** Read, then compare-and-set with the version read: the way a caller updates a value safely. */
    record Update(String key, StoredValue value) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            Optional<MemoryEntry> read = session.load(key);
            return session.store(key, value, OptionalLong.of(read.map(MemoryEntry::version).orElse(0L)));
        }

        @Override
        public String toString() {
            return "update(" + show(key) + ", " + Answers.describe(value) + ")";
        }
    }

    record Delete(String key) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.delete(key);
        }

        @Override
        public String toString() {
            return "delete(" + show(key) + ")";
        }
    }

    record Exists(String key) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.exists(key);
        }

        @Override
        public String toString() {
            return "exists(" + show(key) + ")";
        }
    }

    record Keys(String prefix) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.keys(prefix);
        }

        @Override
        public String toString() {
            return "keys(" + show(prefix) + ")";
        }
    }

    record Clear(String prefix) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.clear(prefix);
        }

        @Override
        public String toString() {
            return "clear(" + show(prefix) + ")";
        }
    }

    record Size() implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.size();
        }

        @Override
        public String toString() {
            return "size()";
        }
    }

    record Increment(String key, long delta) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.increment(key, delta);
        }

        @Override
        public String toString() {
            return "increment(" + show(key) + ", " + delta + ")";
        }
    }

    /** A store whose value lives for {@code timeToLive} (a zero or negative one is refused). */
    record StoreFor(String key, StoredValue value, Duration timeToLive) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.store(key, value, OptionalLong.empty(), timeToLive);
        }

        @Override
        public String toString() {
            return "store(" + show(key) + ", " + Answers.describe(value) + ", for " + timeToLive + ")";
        }
    }

    /** An increment that gives a key it creates {@code timeToLive}; the key keeps the expiry it has. */
    record IncrementFor(String key, long delta, Duration timeToLive) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.increment(key, delta, timeToLive);
        }

        @Override
        public String toString() {
            return "increment(" + show(key) + ", " + delta + ", for " + timeToLive + ")";
        }
    }

    /** Many keys at once; a key may repeat, and an invalid one refuses the whole read. */
    record LoadAll(List<String> keys) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.loadAll(keys);
        }

        @Override
        public String toString() {
            return "loadAll(" + keys.stream().map(Op::show).toList() + ")";
        }
    }

    /** Expected versions are relative to the base revision, as in {@link Store}. */
    record StoreAll(Map<String, StoredValue> values, Map<String, Long> expectedVersions) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            Map<String, Long> expected = new LinkedHashMap<>();
            expectedVersions.forEach((key, version) -> expected.put(key, Answers.absolute(version, base)));
            return session.storeAll(values, expected);
        }

        @Override
        public String toString() {
            return "storeAll(" + values.entrySet().stream()
                    .map(entry -> show(entry.getKey()) + "=" + Answers.describe(entry.getValue())
                                  + (expectedVersions.containsKey(entry.getKey())
                                     ? " expect " + expectedVersions.get(entry.getKey()) : ""))
                    .collect(Collectors.joining(", ")) + ")";
        }
    }

    record DeleteAll(List<String> keys) implements Op {
        @Override
        public Object run(MemorySession session, long base) throws StoreException {
            return session.deleteAll(keys);
        }

        @Override
        public String toString() {
            return "deleteAll(" + keys.stream().map(Op::show).toList() + ")";
        }
    }

    private static String show(String text) {
        return Answers.literal(text);
    }
}
