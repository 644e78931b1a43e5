package dev.robustmemory.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operations of one lease: one DuckDB connection, one open transaction per batch of works.
 *
 * <p><b>Why reads and writes need no conditional SQL.</b> The lease excludes every other writer, in this JVM and in
 * every other process, so reading a version and then writing is already atomic, and what this JVM read or wrote is
 * still true while it holds the lease: the {@link EntryCache} answers repeated reads without SQL.
 *
 * <p><b>Why writes are deferred.</b> Stores and increments only record the new entry; {@link #flush()} writes all
 * of a batch's entries with a few multi-row upserts just before the commit (a 16-row upsert costs about what 4
 * single-row ones do). Operations that need SQL to see every write (keys, clear, size) flush first.
 *
 * <p><b>Refusals leave the transaction usable.</b> {@link VersionConflictException}, {@link NonNumericValueException}
 * and {@link InvalidEntryException} are raised before anything is recorded, so a work that fails with one spoils
 * nothing for its batch neighbours; {@link #workSpoiledTransaction()} tells the lease when a failed work did write, or
 * made DuckDB abort the transaction.
 */
final class DuckDbSession implements MemorySession {

    private static final String COLUMNS = "kind, text_value, bytes_value, version, fencing_token";
    private static final String SELECT_ENTRY = "SELECT " + COLUMNS + " FROM " + Schema.ENTRIES + " WHERE key = ?";
    private static final String SELECT_VERSION = "SELECT version FROM " + Schema.ENTRIES + " WHERE key = ?";
    private static final String DELETE_KEY = "DELETE FROM " + Schema.ENTRIES + " WHERE key = ?";
    // starts_with compares literally: no LIKE, so '%', '_' and '\' in a prefix need no escaping.
    private static final String SELECT_KEYS =
            "SELECT key FROM " + Schema.ENTRIES + " WHERE starts_with(key, ?) ORDER BY key";
    private static final String DELETE_PREFIX = "DELETE FROM " + Schema.ENTRIES + " WHERE starts_with(key, ?)";
    private static final String COUNT = "SELECT count(*) FROM " + Schema.ENTRIES;
    private static final String UPDATE_VALUE = "UPDATE " + Schema.ENTRIES + " SET kind = ?, text_value = ?,"
            + " bytes_value = ?, version = ?, fencing_token = ?, updated_at = now() WHERE key = ?";
    private static final String INSERT_VALUE = "INSERT INTO " + Schema.ENTRIES + " (key, " + COLUMNS + ", updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, now())";
    /**
     * Multi-row upsert sizes, largest first; below the smallest, row-by-row writes are cheaper. A few prepared
     * statements serve any batch.
     */
    private static final int[] BULK_CHUNKS = {64, 16, 8};
    /** A JSON integer as RFC 8259 writes one, with the whitespace JSON allows around a value. */
    private static final Pattern JSON_INTEGER = Pattern.compile("[ \t\n\r]*(-?(?:0|[1-9][0-9]*))[ \t\n\r]*");

    private final Connection connection;
    private final long fencingToken;
    private final EntryCache cache;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    /** Entries written by this batch and not yet sent to DuckDB, in write order. */
    private final Map<String, MemoryEntry> unflushed = new LinkedHashMap<>();
    private MemoryStore store;
    private boolean workWrote;
    private boolean batchWrote;
    private boolean sqlFailed;
    private boolean inWork;

    DuckDbSession(Connection connection, long fencingToken, EntryCache cache) {
        this.connection = connection;
        this.fencingToken = fencingToken;
        this.cache = cache;
    }

    /** Starts the next work of a batch; keys and values are checked against {@code caller}'s limits. */
    void beginWork(MemoryStore caller) {
        store = caller;
        workWrote = false;
        sqlFailed = false;
        inWork = true;
    }

    /** Ends the current work: a session reference it leaked fails from now on. */
    void endWork() {
        inWork = false;
    }

    /** Whether the work that just failed left something behind that its batch must not commit. */
    boolean workSpoiledTransaction() {
        return workWrote || sqlFailed;
    }

    @Override
    public long fencingToken() {
        return fencingToken;
    }

    @Override
    public Optional<MemoryEntry> load(String key) throws StoreException {
        checkInWork();
        store.checkKey(key);
        MemoryEntry written = unflushed.get(key);
        if (written != null) {
            return Optional.of(written);
        }
        Optional<MemoryEntry> known = cache.get(key);
        if (known != null) {
            return known;
        }
        try {
            PreparedStatement select = statement(SELECT_ENTRY);
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                Optional<MemoryEntry> entry = row.next() ? Optional.of(entry(key, row)) : Optional.empty();
                cache.put(key, entry);
                return entry;
            }
        } catch (SQLException e) {
            throw failure("load key '" + key + "'", e);
        }
    }

    @Override
    public MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion) throws StoreException {
        checkInWork();
        store.checkKey(key);
        store.checkValue(value);
        if (expectedVersion.isPresent() && expectedVersion.getAsLong() < 0) {
            throw new InvalidEntryException("The expected version must be 0 (the key must not exist) or more, not "
                                            + expectedVersion.getAsLong());
        }
        long current = currentVersion(key);
        if (expectedVersion.isPresent() && current != expectedVersion.getAsLong()) {
            throw new VersionConflictException(key, expectedVersion.getAsLong(), current);
        }
        return write(key, value, current + 1);
    }

    @Override
    public boolean delete(String key) throws StoreException {
        checkInWork();
        store.checkKey(key);
        if (currentVersion(key) == 0) {
            return false;
        }
        unflushed.remove(key);
        try {
            PreparedStatement delete = statement(DELETE_KEY);
            delete.setString(1, key);
            delete.executeUpdate(); // a key written by this batch only has no row yet: nothing to delete then
        } catch (SQLException e) {
            throw failure("delete key '" + key + "'", e);
        }
        noteWrite();
        cache.put(key, Optional.empty());
        return true;
    }

    @Override
    public boolean exists(String key) throws StoreException {
        checkInWork();
        store.checkKey(key);
        return currentVersion(key) > 0;
    }

    @Override
    public List<String> keys(String prefix) throws StoreException {
        checkInWork();
        flush();
        try {
            PreparedStatement select = statement(SELECT_KEYS);
            select.setString(1, literalPrefix(prefix));
            List<String> keys = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    keys.add(rows.getString(1));
                }
            }
            return keys;
        } catch (SQLException e) {
            throw failure("list keys", e);
        }
    }

    @Override
    public long clear(String prefix) throws StoreException {
        checkInWork();
        flush();
        String literal = literalPrefix(prefix);
        try {
            PreparedStatement delete = statement(DELETE_PREFIX);
            delete.setString(1, literal);
            long deleted = delete.executeLargeUpdate();
            if (deleted > 0) {
                noteWrite();
                cache.forgetPrefix(literal);
            }
            return deleted;
        } catch (SQLException e) {
            throw failure("clear keys", e);
        }
    }

    @Override
    public long size() throws StoreException {
        checkInWork();
        flush();
        try (ResultSet row = statement(COUNT).executeQuery()) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw failure("count keys", e);
        }
    }

    /**
     * {@inheritDoc} The current value must be of kind JSON and be an integer literal ({@code 42}, {@code -7}); a
     * string, a fraction ({@code 1.0}), an exponent ({@code 1e3}) or a TEXT or BYTES value is not, and is left as it
     * is. A value or a sum outside the 64-bit range is refused with a {@link StoreException}.
     */
    @Override
    public MemoryEntry increment(String key, long delta) throws StoreException {
        checkInWork();
        Optional<MemoryEntry> current = load(key);
        long sum;
        try {
            sum = Math.addExact(current.isPresent() ? integerValue(current.get()) : 0, delta);
        } catch (ArithmeticException e) {
            throw new StoreException("Adding " + delta + " to key '" + key + "' leaves the 64-bit integer range;"
                                     + " the value was left unchanged");
        }
        return write(key, StoredValue.json(Long.toString(sum)), current.map(MemoryEntry::version).orElse(0L) + 1);
    }

    /**
     * Sends every entry written since the last flush to DuckDB. DuckDB checks a multi-row upsert's conflicts per
     * statement, about 1.5 ms whatever the row count, while an UPDATE by key costs about 0.4 ms: a few rows go one by
     * one (UPDATE, or INSERT when no row was there), many go in multi-row chunks of {@link #BULK_CHUNKS} rows.
     */
    void flush() throws StoreException {
        if (unflushed.isEmpty()) {
            return;
        }
        List<MemoryEntry> rows = new ArrayList<>(unflushed.values());
        try {
            int next = 0;
            for (int chunk : BULK_CHUNKS) {
                for (; rows.size() - next >= chunk; next += chunk) {
                    upsertChunk(rows.subList(next, next + chunk));
                }
            }
            for (MemoryEntry row : rows.subList(next, rows.size())) {
                if (!update(row)) {
                    insert(row);
                }
            }
        } catch (SQLException e) {
            throw failure("write " + rows.size() + " entries", e);
        }
        unflushed.clear();
    }

    /** Whether the current batch wrote anything (a read-only batch has nothing to fence or make durable). */
    boolean batchWrote() {
        return batchWrote;
    }

    /** Starts the next batch's transaction. */
    void beginBatch() {
        batchWrote = false;
    }

    /** Forgets what a rolled-back batch wrote. */
    void discardBatch() {
        unflushed.clear();
        batchWrote = false;
    }

    /** Closes the session's statements at the end of the lease. */
    void close() {
        inWork = false;
        for (PreparedStatement statement : statements.values()) {
            try {
                statement.close();
            } catch (SQLException e) {
                // The connection is closed right after; DuckDB frees the statement with it.
            }
        }
        statements.clear();
    }

    private MemoryEntry write(String key, StoredValue value, long version) {
        MemoryEntry entry = new MemoryEntry(key, value, version, fencingToken);
        unflushed.remove(key); // re-inserted last: a later write of a key wins within one multi-row statement
        unflushed.put(key, entry);
        cache.put(key, Optional.of(entry));
        noteWrite();
        return entry;
    }

    private void noteWrite() {
        workWrote = true;
        batchWrote = true;
    }

    private long currentVersion(String key) throws StoreException {
        MemoryEntry written = unflushed.get(key);
        if (written != null) {
            return written.version();
        }
        Optional<MemoryEntry> known = cache.get(key);
        if (known != null) {
            return known.map(MemoryEntry::version).orElse(0L);
        }
        try {
            PreparedStatement select = statement(SELECT_VERSION);
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw failure("look up key '" + key + "'", e);
        }
    }

    private void upsertChunk(List<MemoryEntry> rows) throws SQLException {
        PreparedStatement upsert = statement(upsertSql(rows.size()));
        int index = 1;
        for (MemoryEntry row : rows) {
            upsert.setString(index, row.key());
            index = bindValue(upsert, index + 1, row.value());
            upsert.setLong(index, row.version());
            upsert.setLong(index + 1, fencingToken);
            index += 2;
        }
        upsert.executeUpdate();
    }

    /** @return false when the key has no row yet (new, or written only by this batch so far) */
    private boolean update(MemoryEntry row) throws SQLException {
        PreparedStatement update = statement(UPDATE_VALUE);
        int next = bindValue(update, 1, row.value());
        update.setLong(next, row.version());
        update.setLong(next + 1, fencingToken);
        update.setString(next + 2, row.key());
        return update.executeUpdate() > 0;
    }

    private void insert(MemoryEntry row) throws SQLException {
        PreparedStatement insert = statement(INSERT_VALUE);
        insert.setString(1, row.key());
        int next = bindValue(insert, 2, row.value());
        insert.setLong(next, row.version());
        insert.setLong(next + 1, fencingToken);
        insert.executeUpdate();
    }

    private static String upsertSql(int rows) {
        StringBuilder sql = new StringBuilder("INSERT INTO " + Schema.ENTRIES + " (key, " + COLUMNS
                                              + ", updated_at) VALUES ");
        for (int i = 0; i < rows; i++) {
            sql.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, now())");
        }
        return sql.append(" ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, text_value = excluded.text_value,"
                          + " bytes_value = excluded.bytes_value, version = excluded.version,"
                          + " fencing_token = excluded.fencing_token, updated_at = excluded.updated_at").toString();
    }

    /** The prefix as DuckDB will see it: null means all keys, and no character may be altered on the way. */
    private static String literalPrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        Utf8.length(prefix, "The key prefix");
        return prefix;
    }

    private static long integerValue(MemoryEntry entry) throws StoreException {
        StoredValue value = entry.value();
        if (value.kind() != ValueKind.JSON) {
            throw new NonNumericValueException(entry.key(), value);
        }
        Matcher integer = JSON_INTEGER.matcher(value.text());
        if (!integer.matches()) {
            throw new NonNumericValueException(entry.key(), value);
        }
        try {
            return Long.parseLong(integer.group(1));
        } catch (NumberFormatException e) {
            throw new StoreException("The value of key '" + entry.key() + "' is an integer outside the 64-bit range;"
                                     + " it was left unchanged");
        }
    }

    /** Binds kind, text and bytes from {@code index}; returns the next free index. */
    private static int bindValue(PreparedStatement statement, int index, StoredValue value) throws SQLException {
        statement.setString(index, value.kind().name());
        statement.setString(index + 1, value.text());
        statement.setBytes(index + 2, value.bytes());
        return index + 3;
    }

    private static MemoryEntry entry(String key, ResultSet row) throws SQLException {
        ValueKind kind = ValueKind.valueOf(row.getString(1));
        StoredValue value = new StoredValue(kind, kind == ValueKind.BYTES ? null : row.getString(2),
                kind == ValueKind.BYTES ? row.getBytes(3) : null);
        return new MemoryEntry(key, value, row.getLong(4), row.getLong(5));
    }

    private void checkInWork() {
        if (!inWork) {
            throw new IllegalStateException("This session's work has ended; use a session only inside its work");
        }
    }

    private PreparedStatement statement(String sql) throws SQLException {
        PreparedStatement statement = statements.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            statements.put(sql, statement);
        }
        return statement;
    }

    private StoreException failure(String what, SQLException e) {
        sqlFailed = true;
        return new StoreException("Cannot " + what + ": " + e.getMessage(), e);
    }
}
