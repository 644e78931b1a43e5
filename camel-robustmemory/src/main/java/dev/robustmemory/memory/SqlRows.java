package dev.robustmemory.memory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the backends' SQL sessions share about rows: the entry columns {@code kind, text_value, bytes_value, version,
 * fencing_token, expires_at} (microseconds, 0 for never) in that order, keys selected by prefix, and the rules of
 * reading the change log after a position.
 */
public final class SqlRows {

    private SqlRows() {
    }

    /** The entry whose columns start at column {@code first} of the row. */
    public static MemoryEntry entry(String key, ResultSet row, int first) throws SQLException {
        ValueKind kind = ValueKind.valueOf(row.getString(first));
        StoredValue value = new StoredValue(kind, kind == ValueKind.BYTES ? null : row.getString(first + 1),
                kind == ValueKind.BYTES ? row.getBytes(first + 2) : null);
        return new MemoryEntry(key, value, row.getLong(first + 3), row.getLong(first + 4), row.getLong(first + 5));
    }

    /**
     * Runs a select (or a delete returning) of keys whose parameters are a key prefix (matched literally; null: all)
     * and the time at which the rows must be live.
     *
     * @return the first column of every row, in the statement's order
     */
    public static List<String> keys(PreparedStatement select, String prefix, long nowMicros) throws SQLException {
        select.setString(1, SessionRules.literalPrefix(prefix));
        select.setLong(2, nowMicros);
        List<String> keys = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                keys.add(row.getString(1));
            }
        }
        return keys;
    }

    /**
     * Deletes the oldest changes written before {@code writtenBefore}, about {@code limit} of them and always whole
     * revisions, so that the log stays a complete suffix. {@code latest} selects the latest revision among them
     * (parameters: the time, the limit), {@code delete} deletes the revisions up to one (its parameter).
     *
     * @return the latest revision deleted; empty when none was old enough
     */
    public static OptionalLong deleteOldChanges(PreparedStatement latest, PreparedStatement delete, long writtenBefore,
                                                int limit) throws SQLException {
        latest.setLong(1, writtenBefore);
        latest.setInt(2, limit);
        long through;
        try (ResultSet row = latest.executeQuery()) {
            row.next();
            through = row.getLong(1);
            if (row.wasNull()) {
                return OptionalLong.empty();
            }
        }
        delete.setLong(1, through);
        delete.executeUpdate();
        return OptionalLong.of(through);
    }

    /**
     * @param completeAfter the revision after which the log holds every change
     * @throws ChangesLostException when it does not hold every change after {@code after}
     */
    public static void requireHeld(MemoryChange.Position after, long completeAfter) throws ChangesLostException {
        if (after.revision() < completeAfter || (after.key() != null && after.revision() == completeAfter)) {
            throw new ChangesLostException(after.revision(), completeAfter);
        }
    }

    /**
     * Runs a select of {@code revision, key, deleted}, the entry columns and {@code written_micros}, whose parameters
     * are: revision, revision again (-1 for a position after a whole revision), key, key prefix and limit, as in
     * {@code WHERE (revision > ? OR (revision = ? AND key > ?)) AND starts_with(key, ?) ORDER BY revision, key
     * LIMIT ?}.
     */
    public static List<MemoryChange> read(PreparedStatement select, MemoryChange.Position after, String prefix,
                                          int limit) throws SQLException {
        boolean withinRevision = after.key() != null;
        select.setLong(1, after.revision());
        select.setLong(2, withinRevision ? after.revision() : -1);
        select.setString(3, withinRevision ? after.key() : "");
        select.setString(4, SessionRules.literalPrefix(prefix));
        select.setInt(5, limit);
        List<MemoryChange> changes = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                String key = row.getString(2);
                Optional<MemoryEntry> entry = row.getBoolean(3) ? Optional.empty() : Optional.of(entry(key, row, 4));
                changes.add(new MemoryChange(row.getLong(1), key, entry, row.getLong(10)));
            }
        }
        return changes;
    }
}
