package dev.robustmemory.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The sequential specification: the whole memory as a sorted map, changed one operation at a time in revision order.
 * Values are kept as their text; the workload's unique values are text and increments write JSON integers, so a value
 * is numeric exactly when it looks like an integer.
 */
final class MemoryModel {

    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");

    /** A key's value and the revision that wrote it (its version). */
    record Entry(String value, long version) {

        boolean numeric() {
            return INTEGER.matcher(value).matches();
        }

        @Override
        public String toString() {
            return value + "@" + version;
        }
    }

    private final TreeMap<String, Entry> entries;

    MemoryModel() {
        this(new TreeMap<>());
    }

    private MemoryModel(TreeMap<String, Entry> entries) {
        this.entries = entries;
    }

    MemoryModel copy() {
        return new MemoryModel(new TreeMap<>(entries));
    }

    /** Takes over another model's entries (after the checker replayed a stretch again on a copy). */
    void become(MemoryModel other) {
        entries.clear();
        entries.putAll(other.entries);
    }

    Optional<Entry> get(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    long version(String key) {
        Entry entry = entries.get(key);
        return entry == null ? 0 : entry.version();
    }

    /** Keys with the prefix (null or empty = all), ascending, as {@code MemorySession.keys} lists them. */
    List<String> keys(String prefix) {
        String from = prefix == null ? "" : prefix;
        List<String> keys = new ArrayList<>();
        for (String key : entries.tailMap(from, true).keySet()) {
            if (!key.startsWith(from)) {
                break; // the keys with a prefix sort together, right from the prefix itself
            }
            keys.add(key);
        }
        return keys;
    }

    long size() {
        return entries.size();
    }

    void put(String key, String value, long revision) {
        entries.put(key, new Entry(value, revision));
    }

    void remove(String key) {
        entries.remove(key);
    }

    /** @return the keys deleted */
    List<String> clear(String prefix) {
        List<String> deleted = keys(prefix);
        deleted.forEach(entries::remove);
        return deleted;
    }

    /**
     * The value an increment by {@code delta} writes, or empty when the current value is not an integer (the
     * increment then changes nothing); a missing key counts as 0.
     */
    Optional<String> incremented(String key, long delta) {
        Entry entry = entries.get(key);
        if (entry != null && !entry.numeric()) {
            return Optional.empty();
        }
        return Optional.of(Long.toString((entry == null ? 0 : Long.parseLong(entry.value())) + delta));
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
