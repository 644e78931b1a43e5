package dev.robustmemory.model;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.MemoryChange;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.NonNumericValueException;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;
import dev.robustmemory.memory.VersionConflictException;

import java.math.BigInteger;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sequential specification of a memory: what {@link MemorySession} promises, written as plainly as possible and
 * sharing no code with the store (its validation included), so that a bug in one is not repeated in the other.
 *
 * <p>It is itself a {@link MemorySession}, so the operations of a test run unchanged against the real store and
 * against this model; {@link #transaction} gives a work the store's all-or-nothing effect.
 *
 * <p>Not thread-safe: a checker replays histories on it one work at a time.
 */
final class MemoryModel implements MemorySession {

    /** A JSON integer as RFC 8259 writes one, with the whitespace JSON allows around a value. */
    private static final Pattern JSON_INTEGER = Pattern.compile("[ \t\n\r]*(-?(?:0|[1-9][0-9]*))[ \t\n\r]*");
    private static final BigInteger MIN_LONG = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger MAX_LONG = BigInteger.valueOf(Long.MAX_VALUE);
    /** DuckDB orders VARCHAR by its UTF-8 bytes, that is by code point, which String.compareTo is not. */
    private static final Comparator<String> CODE_POINT_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i);
            int y = b.codePointAt(j);
            if (x != y) {
                return Integer.compare(x, y);
            }
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private final long maxValueSize;
    /** What the entries expire by: the time of the work being replayed, in microseconds since the epoch. */
    private long nowMicros;
    private TreeMap<String, MemoryEntry> entries = new TreeMap<>(CODE_POINT_ORDER);
    /** The latest change's revision: each change takes the next one, so versions never repeat, even for a key. */
    private long revision;

    MemoryModel(long maxValueSize) {
        this.maxValueSize = maxValueSize;
    }

    /** Sets the time of the next works; entries that expired by then are gone, as if never there. */
    void setNow(long micros) {
        nowMicros = micros;
        entries.values().removeIf(entry -> entry.expiresAtMicros() != 0 && entry.expiresAtMicros() <= micros);
    }

    /** Runs a work with the store's effect: everything it changed stays when it returns, nothing when it throws. */
    <T> T transaction(MemoryWork<T> work) throws StoreException {
        TreeMap<String, MemoryEntry> before = new TreeMap<>(entries);
        long revisionBefore = revision;
        try {
            return work.run(this);
        } catch (StoreException | RuntimeException e) {
            entries = before;
            revision = revisionBefore;
            throw e;
        }
    }

    /** Every entry, by key. */
    Map<String, MemoryEntry> entries() {
        return new TreeMap<>(entries);
    }

    @Override
    public long fencingToken() {
        return 0; // the model has no grants; answers never compare tokens
    }

    @Override
    public long revision() {
        return revision;
    }

    @Override
    public long nowMicros() {
        return nowMicros;
    }

    /** The model has no named locks: the workloads never fence. */
    @Override
    public void requireNewestGrant(String lockName, long token) {
        throw new UnsupportedOperationException("The model memory has no named locks");
    }

    @Override
    public Optional<MemoryEntry> load(String key) {
        checkKey(key);
        return Optional.ofNullable(entries.get(key));
    }

    @Override
    public Map<String, MemoryEntry> storeAll(Map<String, StoredValue> values, Map<String, Long> expectedVersions,
                                            Duration timeToLive) throws StoreException {
        values.forEach(this::checkEntry);
        long expiresAt = expiry(timeToLive);
        for (Map.Entry<String, Long> expected : expectedVersions.entrySet()) {
            if (!values.containsKey(expected.getKey())) {
                throw new InvalidEntryException("expected version of a key not stored");
            }
        }
        for (Map.Entry<String, Long> expected : expectedVersions.entrySet()) {
            if (expected.getValue() < 0) {
                throw new InvalidEntryException("negative expected version " + expected.getValue());
            }
            long current = currentVersion(expected.getKey());
            if (current != expected.getValue()) {
                throw new VersionConflictException(expected.getKey(), expected.getValue(), current);
            }
        }
        Map<String, MemoryEntry> written = new LinkedHashMap<>();
        if (!values.isEmpty()) {
            revision++;
            values.forEach((key, value) -> {
                MemoryEntry entry = new MemoryEntry(key, value, revision, 0, expiresAt);
                entries.put(key, entry);
                written.put(key, entry);
            });
        }
        return written;
    }

    @Override
    public List<String> deleteAll(Collection<String> keys) {
        keys.forEach(MemoryModel::checkKey);
        List<String> deleted = keys.stream().distinct().filter(entries::containsKey).toList();
        if (!deleted.isEmpty()) {
            revision++;
            deleted.forEach(entries::remove);
        }
        return deleted;
    }

    @Override
    public void checkEntry(String key, StoredValue value) {
        checkKey(key);
        checkValue(value);
    }

    @Override
    public MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion, Duration timeToLive)
            throws StoreException {
        checkKey(key);
        checkValue(value);
        long expiresAt = expiry(timeToLive);
        if (expectedVersion.isPresent() && expectedVersion.getAsLong() < 0) {
            throw new InvalidEntryException("negative expected version " + expectedVersion.getAsLong());
        }
        long current = currentVersion(key);
        if (expectedVersion.isPresent() && expectedVersion.getAsLong() != current) {
            throw new VersionConflictException(key, expectedVersion.getAsLong(), current);
        }
        return write(key, value, expiresAt);
    }

    @Override
    public boolean delete(String key) {
        checkKey(key);
        boolean deleted = entries.remove(key) != null;
        if (deleted) {
            revision++;
        }
        return deleted;
    }

    @Override
    public boolean exists(String key) {
        checkKey(key);
        return entries.containsKey(key);
    }

    @Override
    public List<String> keys(String prefix) {
        return new ArrayList<>(withPrefix(prefix).keySet());
    }

    @Override
    public long clear(String prefix) {
        Map<String, MemoryEntry> cleared = withPrefix(prefix);
        cleared.keySet().forEach(entries::remove);
        if (!cleared.isEmpty()) {
            revision++; // one for the whole clear
        }
        return cleared.size();
    }

    @Override
    public long size() {
        return entries.size();
    }

    /** The model has no change log: the workloads never read one (ChangeLogTest checks it against the history). */
    @Override
    public long keepChanges(Duration retention) {
        throw new UnsupportedOperationException("The model memory has no change log");
    }

    @Override
    public List<MemoryChange> changesAfter(MemoryChange.Position after, String prefix, int limit) {
        throw new UnsupportedOperationException("The model memory has no change log");
    }

    @Override
    public MemoryEntry increment(String key, long delta, Duration timeToLiveIfCreated) throws StoreException {
        checkKey(key);
        long expiresAtIfCreated = expiry(timeToLiveIfCreated);
        MemoryEntry current = entries.get(key);
        long value = current == null ? 0 : integerValue(current);
        long sum;
        try {
            sum = Math.addExact(value, delta);
        } catch (ArithmeticException e) {
            throw new StoreException("sum outside the 64-bit range");
        }
        return write(key, StoredValue.json(Long.toString(sum)),
                current == null ? expiresAtIfCreated : current.expiresAtMicros());
    }

    /** When an entry written now for {@code timeToLive} expires: 0 (never) for null; only positive ones are taken. */
    private long expiry(Duration timeToLive) {
        if (timeToLive == null) {
            return 0;
        }
        if (timeToLive.compareTo(Duration.ZERO) <= 0) {
            throw new InvalidEntryException("time to live " + timeToLive);
        }
        return nowMicros + Math.max(1, timeToLive.toNanos() / 1_000);
    }

    private MemoryEntry write(String key, StoredValue value, long expiresAtMicros) {
        MemoryEntry entry = new MemoryEntry(key, value, ++revision, 0, expiresAtMicros);
        entries.put(key, entry);
        return entry;
    }

    private long currentVersion(String key) {
        MemoryEntry current = entries.get(key);
        return current == null ? 0 : current.version();
    }

    private Map<String, MemoryEntry> withPrefix(String prefix) {
        String literal = prefix == null ? "" : prefix;
        requireUtf8(literal);
        Map<String, MemoryEntry> found = new TreeMap<>(CODE_POINT_ORDER);
        entries.forEach((key, entry) -> {
            if (key.startsWith(literal)) {
                found.put(key, entry);
            }
        });
        return found;
    }

    private static long integerValue(MemoryEntry entry) throws StoreException {
        StoredValue value = entry.value();
        Matcher integer = JSON_INTEGER.matcher(value.kind() == ValueKind.JSON ? value.text() : "");
        if (!integer.matches()) {
            throw new NonNumericValueException(entry.key(), value);
        }
        BigInteger parsed = new BigInteger(integer.group(1));
        if (parsed.compareTo(MIN_LONG) < 0 || parsed.compareTo(MAX_LONG) > 0) {
            throw new StoreException("integer outside the 64-bit range");
        }
        return parsed.longValueExact();
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty() || key.length() > DuckDbMemory.MAX_KEY_LENGTH) {
            throw new InvalidEntryException("invalid key");
        }
        requireUtf8(key);
    }

    private void checkValue(StoredValue value) {
        long size = value.kind() == ValueKind.BYTES ? value.bytes().length : requireUtf8(value.text());
        if (size > maxValueSize) {
            throw new InvalidEntryException("value of " + size + " bytes");
        }
    }

    /** @return the UTF-8 length; text that has none (an unpaired surrogate) is refused */
    private static long requireUtf8(String text) {
        CharsetEncoder strict = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return strict.encode(CharBuffer.wrap(text)).remaining();
        } catch (CharacterCodingException e) {
            throw new InvalidEntryException("not encodable as UTF-8");
        }
    }
}
