package dev.robustmemory.duckdb.lock;

import java.util.Optional;

/**
 * The result of reading a lock file's owner record: absent (a fresh file), a record, or corrupt text that no holder
 * of this library wrote whole.
 *
 * @param record     the record, when one was read whole
 * @param corruptText the raw text, when the slot held something that is not a valid record
 * @param problem    why the text is not a valid record
 */
public record OwnerRecordReading(OwnerRecord record, String corruptText, String problem) {

    private static final OwnerRecordReading ABSENT = new OwnerRecordReading(null, null, null);

    public static OwnerRecordReading absent() {
        return ABSENT;
    }

    public static OwnerRecordReading of(OwnerRecord record) {
        return new OwnerRecordReading(record, null, null);
    }

    public static OwnerRecordReading corrupt(String text, String problem) {
        return new OwnerRecordReading(null, text, problem);
    }

    public Optional<OwnerRecord> asOptional() {
        return Optional.ofNullable(record);
    }

    public boolean isCorrupt() {
        return problem != null;
    }

    /** Corrupt text that is not even a robustmemory record: the file belongs to another program. */
    public boolean isForeign() {
        return isCorrupt() && !corruptText.startsWith(OwnerRecord.FORMAT_FAMILY);
    }

    public String describe() {
        if (record != null) {
            return record.toString();
        }
        return isCorrupt() ? "corrupt (" + problem + ")" : "none";
    }
}
