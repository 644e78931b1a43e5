package dev.robustmemory.duckdb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import dev.robustmemory.memory.ChangesLostException;
import dev.robustmemory.memory.FencedWriteException;
import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.MemoryChange;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.NonNumericValueException;
import dev.robustmemory.memory.SessionRules;
import dev.robustmemory.memory.SqlRows;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;
import dev.robustmemory.memory.VersionConflictException;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * The operations of one lease: one DuckDB connection, one open transaction per batch of works.
 *
 * <p><b>Why reads and writes need no conditional SQL.</b> The lease excludes every other writer, in this JVM and in
 * every other process, so reading a version and then writing is already atomic, and what this JVM read or wrote is
 * still true while it holds the lease: the {@link EntryCache} answers repeated reads without SQL.
 *
 * <p><b>Why writes are deferred.</b> Stores, increments and deletes only record the key's new state. The lease makes
 * a batch's writes durable in its {@link WriteAheadJournal} and applies what accumulated to DuckDB in bulk
 * ({@link #applyPending()}: one appended temporary table and one merge, about 2 ms for a thousand rows, against
 * 1.5 ms for one upsert statement). Until then the writes are answered from here. Operations that need SQL to see
 * every write (keys, clear, size) apply first, and their batch then commits everything to DuckDB.
 *
 * <p><b>Refusals leave the transaction usable.</b> {@link VersionConflictException}, {@link NonNumericValueException}
 * and {@link InvalidEntryException} are raised before anything is recorded, so a work that fails with one spoils
 * nothing for its batch neighbours; {@link #workSpoiledTransaction()} tells the lease when a failed work did write, or
 * made DuckDB abort the transaction.
 */
final class DuckDbSession implements MemorySession {

    private static final String COLUMNS = "kind, text_value, bytes_value, version, fencing_token, expires_at";
    private static final String EXPIRES_MICROS = "coalesce(epoch_us(expires_at), 0)";
    /** {@link #COLUMNS} as {@link #entry} reads them. */
    private static final String ENTRY_COLUMNS = "kind, text_value, bytes_value, version, fencing_token, "
            + EXPIRES_MICROS;
    private static final String SELECT_ENTRY = "SELECT " + ENTRY_COLUMNS + " FROM " + Schema.ENTRIES
            + " WHERE key = ?";
    private static final String SELECT_ENTRIES = "SELECT key, " + ENTRY_COLUMNS + " FROM " + Schema.ENTRIES
            + " WHERE key IN (SELECT unnest(?::VARCHAR[]))";
    private static final String SELECT_VERSION = "SELECT version, " + EXPIRES_MICROS + " FROM " + Schema.ENTRIES
            + " WHERE key = ?";
    /** Rows live at the time bound to it: expired ones stay until reclaimed, but nothing sees them. */
    private static final String LIVE = "(expires_at IS NULL OR expires_at > make_timestamptz(?::BIGINT))";
    private static final String DELETE_KEY = "DELETE FROM " + Schema.ENTRIES + " WHERE key = ?";
    private static final String PENDING = "robustmemory_pending";
    private static final String CREATE_PENDING = "CREATE TEMP TABLE IF NOT EXISTS " + PENDING + " (key VARCHAR,"
            + " deleted BOOLEAN, kind VARCHAR, text_value VARCHAR, bytes_value BLOB, version BIGINT,"
            + " fencing_token BIGINT, expires_micros BIGINT, written_micros BIGINT)";
    private static final String DELETE_PENDING_DELETIONS = "DELETE FROM " + Schema.ENTRIES + " WHERE key IN (SELECT key"
            + " FROM " + PENDING + " WHERE deleted)";
    private static final String MERGE_PENDING = "INSERT INTO " + Schema.ENTRIES + " (key, " + COLUMNS
            + ", updated_at) SELECT key, kind, text_value, bytes_value, version, fencing_token,"
            + " make_timestamptz(expires_micros), make_timestamptz(written_micros) FROM " + PENDING
            + " WHERE NOT deleted ON CONFLICT (key) DO UPDATE SET kind = excluded.kind,"
            + " text_value = excluded.text_value, bytes_value = excluded.bytes_value, version = excluded.version,"
            + " fencing_token = excluded.fencing_token, expires_at = excluded.expires_at,"
            + " updated_at = excluded.updated_at";
    private static final String EMPTY_PENDING = "DELETE FROM " + PENDING;
    // starts_with compares literally: no LIKE, so '%', '_' and '\' in a prefix need no escaping.
    private static final String SELECT_KEYS =
            "SELECT key FROM " + Schema.ENTRIES + " WHERE starts_with(key, ?) AND " + LIVE + " ORDER BY key";
    private static final String DELETE_LIVE_PREFIX = "DELETE FROM " + Schema.ENTRIES + " WHERE starts_with(key, ?)"
            + " AND " + LIVE + " RETURNING key";
    private static final String DELETE_PREFIX = "DELETE FROM " + Schema.ENTRIES + " WHERE starts_with(key, ?)";
    private static final String COUNT = "SELECT count(*) FROM " + Schema.ENTRIES;
    private static final String UPDATE_VALUE = "UPDATE " + Schema.ENTRIES + " SET kind = ?, text_value = ?,"
            + " bytes_value = ?, version = ?, fencing_token = ?, expires_at = make_timestamptz(?::BIGINT),"
            + " updated_at = make_timestamptz(?) WHERE key = ?";
    private static final String INSERT_VALUE = "INSERT INTO " + Schema.ENTRIES + " (key, " + COLUMNS + ", updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, make_timestamptz(?::BIGINT), make_timestamptz(?))";
    private static final String SELECT_ALL = "SELECT key, " + ENTRY_COLUMNS + " FROM " + Schema.ENTRIES;
    private static final String PENDING_CHANGES = "robustmemory_pending_changes";
    private static final String CREATE_PENDING_CHANGES = "CREATE TEMP TABLE IF NOT EXISTS " + PENDING_CHANGES
            + " (revision BIGINT, key VARCHAR, deleted BOOLEAN, kind VARCHAR, text_value VARCHAR, bytes_value BLOB,"
            + " version BIGINT, fencing_token BIGINT, expires_micros BIGINT, written_micros BIGINT)";
    // A change already logged (a holder died after applying, before starting the journal over) is the same change.
    private static final String LOG_PENDING_CHANGES = "INSERT INTO " + Schema.CHANGES + " SELECT revision, key,"
            + " deleted, kind, text_value, bytes_value, fencing_token, make_timestamptz(expires_micros),"
            + " make_timestamptz(written_micros) FROM " + PENDING_CHANGES + " ON CONFLICT DO NOTHING";
    private static final String EMPTY_PENDING_CHANGES = "DELETE FROM " + PENDING_CHANGES;
    private static final String SELECT_CHANGES = "SELECT revision, key, deleted, kind, text_value, bytes_value,"
            + " revision, fencing_token, coalesce(epoch_us(expires_at), 0), epoch_us(written_at) FROM " + Schema.CHANGES
            + " WHERE (revision > ? OR (revision = ? AND key > ?)) AND starts_with(key, ?) ORDER BY revision, key"
            + " LIMIT ?";
    /** The latest revision among the oldest changes written before a time: the log is cut after whole revisions. */
    private static final String LATEST_OLD_CHANGE = "SELECT max(revision) FROM (SELECT revision FROM "
            + Schema.CHANGES + " WHERE written_at < make_timestamptz(?::BIGINT) ORDER BY revision LIMIT ?)";
    private static final String DELETE_CHANGES_THROUGH = "DELETE FROM " + Schema.CHANGES + " WHERE revision <= ?";
    /** A bounded share of the expired rows, so that reclaiming never holds the lock long. */
    private static final String DELETE_EXPIRED = "DELETE FROM " + Schema.ENTRIES + " WHERE key IN (SELECT key FROM "
            + Schema.ENTRIES + " WHERE expires_at <= make_timestamptz(?::BIGINT) LIMIT ?)";
    /** A table this small is read whole into the cache the first time a lease needs DuckDB (some ms at most). */
    static final int FILL_CACHE_MAX_ROWS = 10_000;
    /** Below this many rows, statements row by row (about 0.4 ms each) cost less than the bulk merge's 2 ms. */
    private static final int BULK_ROWS = 6;

    /** Opens the lease's connection on first use: a batch answered from memory never opens DuckDB. */
    interface Database {
        Connection connection() throws StoreException;
    }

    private final Database database;
    private final long fencingToken;
    private final EntryCache cache;
    private final RevisionClock revisions;
    private final ExpiryClock clock;
    /** The memory's revision before this batch: what a rollback returns to. */
    private long batchStartRevision;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    /** This batch's writes, not journaled yet, by key. */
    private final Map<String, PendingWrite> batchWrites = new LinkedHashMap<>();
    /** The same writes, every one in the order made (a key written twice is there twice): what the journal gets. */
    private final List<PendingWrite> batchChanges = new ArrayList<>();
    /** Every change of {@link #journaled}, oldest first, for the change log: kept by the lease across sessions. */
    private final List<PendingWrite> journaledChanges;
    /** Whether and since when the change log is kept: read with the lease's first need, null until then. */
    private Schema.ChangeLog changeLog;
    /**
     * The journal's writes that DuckDB lacks (or has only in this uncommitted transaction), by key: kept by the lease
     * across sessions.
     */
    private final Map<String, PendingWrite> journaled;
    private DuckDbMemory store;
    private boolean workWrote;
    private boolean batchWrote;
    /** Whether this batch's transaction writes to DuckDB: it then carries every pending write and commits them. */
    private boolean writesToDatabase;
    /**
     * Whether this batch changed DuckDB otherwise than by applying the journal's writes: a clear deleted rows, or
     * the batch's own writes went to DuckDB without being journaled.
     */
    private boolean wroteDirectly;
    /** Whether this batch ran any SQL, that is, has a DuckDB transaction to end. */
    private boolean ranSql;
    private boolean sqlFailed;
    private boolean inWork;
    /** Whether the current work is a reading one ({@link MemoryWork#onlyReads}), which has no write to fence. */
    private boolean readingWork;

    private DuckDbSession(Database database, long fencingToken, EntryCache cache, Map<String, PendingWrite> journaled,
                          List<PendingWrite> journaledChanges, RevisionClock revisions, ExpiryClock clock) {
        this.database = database;
        this.fencingToken = fencingToken;
        this.cache = cache;
        this.journaled = journaled;
        this.journaledChanges = journaledChanges;
        this.revisions = revisions;
        this.clock = clock;
        this.batchStartRevision = revisions.current();
    }

    /**
     * Starts the session of a lease; {@code database} gives a connection in manual-commit mode, {@code clock} the
     * time of each batch ({@link ExpiryClock#beginBatch}, called by the lease).
     */
    static DuckDbSession begin(Database database, long fencingToken, EntryCache cache,
                               Map<String, PendingWrite> journaled, List<PendingWrite> journaledChanges,
                               RevisionClock revisions, ExpiryClock clock) {
        return new DuckDbSession(database, fencingToken, cache, journaled, journaledChanges, revisions, clock);
    }

    /** Starts the next work of a batch; keys and values are checked against {@code caller}'s limits. */
    void beginWork(DuckDbMemory caller, boolean reading) {
        store = caller;
        readingWork = reading;
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
    public long revision() {
        checkInWork();
        return revisions.current();
    }

    @Override
    public long nowMicros() {
        checkInWork();
        return clock.now();
    }

    @Override
    public void requireNewestGrant(String lockName, long token) throws StoreException {
        checkInWork();
        if (readingWork) {
            throw new IllegalStateException("A reading work (MemoryWork.reading) writes nothing, so it has nothing to"
                                            + " fence with the named lock '" + lockName + "'");
        }
        long newest = store.newestGrantToken(lockName);
        if (newest != token) {
            throw new FencedWriteException(lockName, token, newest);
        }
    }

    @Override
    public Optional<MemoryEntry> load(String key) throws StoreException {
        checkInWork();
        store.checkKey(key);
        PendingWrite written = pending(key);
        if (written != null) {
            return written.entry().filter(clock::isLive);
        }
        Optional<MemoryEntry> known = cache.get(key);
        if (known != null) {
            return known.filter(clock::isLive);
        }
        try {
            PreparedStatement select = statement(SELECT_ENTRY);
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                Optional<MemoryEntry> entry = row.next() ? Optional.of(SqlRows.entry(key, row, 1)) : Optional.empty();
                cache.put(key, entry);
                return entry.filter(clock::isLive);
            }
        } catch (SQLException e) {
            throw failure("load key '" + key + "'", e);
        }
    }

    @Override
    public void checkEntry(String key, StoredValue value) {
        checkInWork();
        store.checkKey(key);
        store.checkValue(value);
    }

    /** Keys neither written nor cached here are read from DuckDB in one statement, then answered as single loads. */
    @Override
    public Map<String, MemoryEntry> loadAll(Collection<String> keys) throws StoreException {
        checkInWork();
        List<String> unknown = new ArrayList<>();
        for (String key : keys) {
            store.checkKey(key);
            if (pending(key) == null && cache.get(key) == null) {
                unknown.add(key);
            }
        }
        if (unknown.size() > 1) {
            readIntoCache(unknown);
        }
        return MemorySession.super.loadAll(keys);
    }

    @Override
    public Map<String, MemoryEntry> storeAll(Map<String, StoredValue> values, Map<String, Long> expectedVersions,
                                            Duration timeToLive) throws StoreException {
        checkInWork();
        long expiresAt = clock.expiryAfter(timeToLive);
        for (Map.Entry<String, StoredValue> value : values.entrySet()) {
            checkEntry(value.getKey(), value.getValue());
        }
        SessionRules.checkExpectedVersions(values, expectedVersions);
        SessionRules.requireExpectedVersions(expectedVersions, loadAll(values.keySet()));
        Map<String, MemoryEntry> written = new LinkedHashMap<>();
        if (!values.isEmpty()) {
            long revision = revisions.next();
            values.forEach((key, value) -> {
                MemoryEntry entry = new MemoryEntry(key, value, revision, fencingToken, expiresAt);
                record(PendingWrite.of(entry, clock.now()));
                written.put(key, entry);
            });
        }
        return written;
    }

    @Override
    public List<String> deleteAll(Collection<String> keys) throws StoreException {
        List<String> existing = List.copyOf(loadAll(keys).keySet());
        if (!existing.isEmpty()) {
            long revision = revisions.next();
            existing.forEach(key -> record(PendingWrite.deletion(key, revision, clock.now())));
        }
        return existing;
    }

    private void readIntoCache(List<String> keys) throws StoreException {
        try {
            PreparedStatement select = statement(SELECT_ENTRIES);
            select.setArray(1, database.connection().createArrayOf("VARCHAR", keys.toArray()));
            Map<String, Optional<MemoryEntry>> read = new HashMap<>();
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    String key = row.getString(1);
                    read.put(key, Optional.of(SqlRows.entry(key, row, 2)));
                }
            }
            for (String key : keys) {
                cache.put(key, read.getOrDefault(key, Optional.empty()));
            }
        } catch (SQLException e) {
            throw failure("load " + keys.size() + " keys", e);
        }
    }

    @Override
    public MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion, Duration timeToLive)
            throws StoreException {
        checkInWork();
        store.checkKey(key);
        store.checkValue(value);
        long expiresAt = clock.expiryAfter(timeToLive);
        SessionRules.checkExpectedVersion(expectedVersion);
        long current = currentVersion(key);
        if (expectedVersion.isPresent() && current != expectedVersion.getAsLong()) {
            throw new VersionConflictException(key, expectedVersion.getAsLong(), current);
        }
        return write(key, value, expiresAt);
    }

    @Override
    public boolean delete(String key) throws StoreException {
        checkInWork();
        store.checkKey(key);
        if (currentVersion(key) == 0) {
            return false;
        }
        record(PendingWrite.deletion(key, revisions.next(), clock.now()));
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
        applyPending();
        try {
            return SqlRows.keys(statement(SELECT_KEYS), prefix, clock.now());
        } catch (SQLException e) {
            throw failure("list keys", e);
        }
    }

    @Override
    public long clear(String prefix) throws StoreException {
        checkInWork();
        applyPending();
        String literal = SessionRules.literalPrefix(prefix);
        try {
            List<String> deletedKeys = SqlRows.keys(statement(DELETE_LIVE_PREFIX), literal, clock.now());
            long deleted = deletedKeys.size();
            if (deleted > 0) {
                PreparedStatement expired = statement(DELETE_PREFIX); // what is left is expired: reclaimed with it
                expired.setString(1, literal);
                expired.executeUpdate();
                long revision = revisions.next(); // one for the whole clear, as etcd gives one to a range deletion
                if (changeLog().isKept()) {
                    logChanges(deletedKeys.stream().map(key -> PendingWrite.deletion(key, revision, clock.now()))
                            .toList());
                }
                noteWrite();
                writesToDatabase = true;
                wroteDirectly = true;
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
        applyPending();
        Connection connection = database.connection();
        ranSql = true;
        // Never kept prepared: duckdb_jdbc 1.5.6 can bind count(*) to the table's size when prepared, right after
        // an open, and answer that on every later execution (found by the history checker; plain JDBC shows it).
        try (Statement count = connection.createStatement();
             ResultSet row = count.executeQuery(COUNT + " WHERE " + LIVE.replace("?", Long.toString(clock.now())))) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw failure("count keys", e);
        }
    }

    /**
     * Deletes at most {@code limit} rows that expired by this batch's time, in the current transaction: nothing any
     * process sees changes (expired rows are invisible already), so no revision is taken and what others know holds.
     * Called by the lease once the pending writes are applied, so that none of them is an expired row's newer state.
     *
     * @return how many rows were deleted
     */
    long reclaimExpired(int limit) throws StoreException {
        try {
            PreparedStatement delete = statement(DELETE_EXPIRED);
            delete.setLong(1, clock.now());
            delete.setInt(2, limit);
            return delete.executeLargeUpdate();
        } catch (SQLException e) {
            throw failure("reclaim expired entries", e);
        }
    }

    /**
     * {@inheritDoc} The current value must be of kind JSON and be an integer literal ({@code 42}, {@code -7}); a
     * string, a fraction ({@code 1.0}), an exponent ({@code 1e3}) or a TEXT or BYTES value is not, and is left as it
     * is. A value or a sum outside the 64-bit range is refused with a {@link StoreException}.
     */
    @Override
    public MemoryEntry increment(String key, long delta, Duration timeToLiveIfCreated) throws StoreException {
        checkInWork();
        long expiresAtIfCreated = clock.expiryAfter(timeToLiveIfCreated);
        Optional<MemoryEntry> current = load(key);
        return write(key, SessionRules.incremented(key, current.orElse(null), delta),
                current.map(MemoryEntry::expiresAtMicros).orElse(expiresAtIfCreated));
    }

    /**
     * Writes every pending write to DuckDB in the current transaction: the journaled ones (unless this transaction
     * has them already) and this batch's. The journal's records stay until the lease commits.
     */
    void applyPending() throws StoreException {
        Map<String, PendingWrite> rows = new LinkedHashMap<>(writesToDatabase ? Map.of() : journaled);
        rows.putAll(batchWrites);
        if (rows.isEmpty()) {
            return;
        }
        try {
            if (rows.size() < BULK_ROWS) {
                for (PendingWrite row : rows.values()) {
                    writeRow(row);
                }
            } else {
                merge(rows.values());
            }
            if (changeLog().isKept()) {
                List<PendingWrite> changes = new ArrayList<>(writesToDatabase ? List.of() : journaledChanges);
                changes.addAll(batchChanges);
                logChanges(changes);
            }
        } catch (SQLException e) {
            throw failure("write " + rows.size() + " entries", e);
        }
        writesToDatabase = true;
        // This batch's writes reach DuckDB without the journal: processes that read only the journal miss them.
        wroteDirectly |= !batchWrites.isEmpty();
        batchWrites.clear(); // in the transaction now; reads find them in the cache or through SQL
        batchChanges.clear();
    }

    /**
     * Starts keeping the change log, or keeps it longer: for at least {@code retention}, the longest any reader asked
     * for. What is pending now is logged only if the log was kept already.
     *
     * @return the revision after which the log holds every change
     */
    @Override
    public long keepChanges(Duration retention) throws StoreException {
        checkInWork();
        Schema.ChangeLog log = changeLog();
        applyPending();
        Schema.ChangeLog kept = new Schema.ChangeLog(Math.max(log.retentionMicros(),
                Math.max(1, retention.toNanos() / 1_000)), log.isKept() ? log.completeAfter() : revisions.current());
        if (!kept.equals(log)) {
            try {
                Schema.recordChangeLog(database.connection(), kept);
            } catch (SQLException e) {
                throw failure("keep the change log", e);
            }
            changeLog = kept;
            writesToDatabase = true;
        }
        return kept.completeAfter();
    }

    /**
     * The committed changes after {@code after} of keys starting with {@code prefix} (null or empty: all), oldest
     * first ({@link MemoryChange.Position}'s order: revision, then key), at most {@code limit}.
     *
     * @throws ChangesLostException  when the log no longer holds every change after {@code after}
     * @throws IllegalStateException when the log is not kept ({@link #keepChanges})
     */
    @Override
    public List<MemoryChange> changesAfter(MemoryChange.Position after, String prefix, int limit)
            throws StoreException {
        checkInWork();
        applyPending();
        Schema.ChangeLog log = changeLog();
        if (!log.isKept()) {
            throw new IllegalStateException("The change log of this memory is not kept; keep it first");
        }
        SqlRows.requireHeld(after, log.completeAfter());
        try {
            return SqlRows.read(statement(SELECT_CHANGES), after, prefix, limit);
        } catch (SQLException e) {
            throw failure("read the change log", e);
        }
    }

    /**
     * Deletes the oldest changes written more than the retention ago, at most about {@code limit} (whole revisions),
     * and records that the log is complete only after them.
     */
    void reclaimChanges(int limit) throws StoreException {
        try {
            Schema.ChangeLog log = changeLog();
            if (!log.isKept()) {
                return;
            }
            OptionalLong through = SqlRows.deleteOldChanges(statement(LATEST_OLD_CHANGE),
                    statement(DELETE_CHANGES_THROUGH), clock.now() - log.retentionMicros(), limit);
            if (through.isPresent()) {
                changeLog = new Schema.ChangeLog(log.retentionMicros(),
                        Math.max(log.completeAfter(), through.getAsLong()));
                Schema.recordChangeLog(database.connection(), changeLog);
            }
        } catch (SQLException e) {
            throw failure("reclaim old changes", e);
        }
    }

    private Schema.ChangeLog changeLog() throws StoreException {
        if (changeLog == null) {
            try {
                changeLog = Schema.changeLog(database.connection());
                ranSql = true;
            } catch (SQLException e) {
                throw failure("read whether the change log is kept", e);
            }
        }
        return changeLog;
    }

    /** Adds the changes to the log: appended to a temporary table, then inserted in one statement. */
    private void logChanges(List<PendingWrite> changes) throws SQLException, StoreException {
        if (changes.isEmpty()) {
            return;
        }
        Connection connection = database.connection();
        ranSql = true;
        try (Statement statement = connection.createStatement()) {
            statement.execute(CREATE_PENDING_CHANGES);
        }
        try (DuckDBAppender appender = connection.unwrap(DuckDBConnection.class)
                .createAppender(DuckDBConnection.DEFAULT_SCHEMA, PENDING_CHANGES)) {
            for (PendingWrite change : changes) {
                appender.beginRow().append(change.revision()).append(change.key()).append(change.entry().isEmpty());
                appendEntry(appender, change);
                appender.append(change.writtenMicros()).endRow();
            }
        }
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate(LOG_PENDING_CHANGES);
            statement.executeUpdate(EMPTY_PENDING_CHANGES);
        }
    }

    /**
     * Reads the whole table into the cache when it has at most {@value #FILL_CACHE_MAX_ROWS} rows, so that this JVM
     * then knows every key, present or absent, and needs DuckDB again only for keys, size and applies. The caller
     * holds the lock; {@code pending} are the writes DuckDB lacks, newer than its rows.
     */
    static void fillCache(Connection connection, EntryCache cache, Map<String, PendingWrite> pending)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            try (ResultSet count = statement.executeQuery(COUNT)) { // unprepared: see size()
                count.next();
                if (count.getLong(1) > FILL_CACHE_MAX_ROWS) {
                    return;
                }
            }
            Map<String, MemoryEntry> rows = new HashMap<>();
            try (ResultSet row = statement.executeQuery(SELECT_ALL)) {
                while (row.next()) {
                    String key = row.getString(1);
                    rows.put(key, SqlRows.entry(key, row, 2));
                }
            }
            cache.fill(rows, pending);
        }
    }

    /** Whether the current batch wrote anything (a read-only batch has nothing to fence or make durable). */
    boolean batchWrote() {
        return batchWrote;
    }

    /** Whether the current batch ran SQL: a batch answered from memory has no transaction to commit (55 µs saved). */
    boolean ranSql() {
        return ranSql;
    }

    /**
     * Whether the current transaction changes DuckDB beyond the pending writes, so that what other processes learnt
     * from the journal may no longer hold.
     */
    boolean wroteDirectly() {
        return wroteDirectly;
    }

    /** Whether the current transaction writes to DuckDB, so its commit must apply every pending write. */
    boolean writesToDatabase() {
        return writesToDatabase;
    }

    /**
     * The current batch's writes not yet in the transaction, every one in the order made: what the journal must make
     * durable.
     */
    List<PendingWrite> batchChanges() {
        return batchChanges;
    }

    /** How many keys have writes that DuckDB has not committed. */
    int pendingCount() {
        return journaled.size() + batchWrites.size();
    }

    /** The batch's transaction committed: its writes are in DuckDB or, without SQL writes, in the journal. */
    void batchCommitted() {
        if (writesToDatabase) {
            journaled.clear();
            journaledChanges.clear();
        } else {
            journaled.putAll(batchWrites);
            journaledChanges.addAll(batchChanges);
        }
        batchStartRevision = revisions.current();
        endBatch();
    }

    /** Forgets what a rolled-back batch wrote, and gives its revisions back; the journaled writes stay pending. */
    void discardBatch() {
        revisions.rewindTo(batchStartRevision);
        endBatch();
    }

    private void endBatch() {
        batchWrites.clear();
        batchChanges.clear();
        batchWrote = false;
        writesToDatabase = false;
        wroteDirectly = false;
        ranSql = false;
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

    private MemoryEntry write(String key, StoredValue value, long expiresAtMicros) {
        MemoryEntry entry = new MemoryEntry(key, value, revisions.next(), fencingToken, expiresAtMicros);
        record(PendingWrite.of(entry, clock.now()));
        return entry;
    }

    private void record(PendingWrite write) {
        batchWrites.put(write.key(), write);
        batchChanges.add(write);
        cache.put(write.key(), write.entry());
        noteWrite();
    }

    /**
     * The key's write that DuckDB lacks, if any. Once this transaction has applied the journaled writes, they are in
     * the transaction, and what happened to them since (a clear) only SQL knows: they are not answered from here.
     */
    private PendingWrite pending(String key) {
        PendingWrite written = batchWrites.get(key);
        return written != null || writesToDatabase ? written : journaled.get(key);
    }

    private void noteWrite() {
        workWrote = true;
        batchWrote = true;
    }

    private long currentVersion(String key) throws StoreException {
        PendingWrite written = pending(key);
        if (written != null) {
            return written.entry().filter(clock::isLive).map(MemoryEntry::version).orElse(0L);
        }
        Optional<MemoryEntry> known = cache.get(key);
        if (known != null) {
            return known.filter(clock::isLive).map(MemoryEntry::version).orElse(0L);
        }
        try {
            PreparedStatement select = statement(SELECT_VERSION);
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return 0;
                }
                return clock.isLive(row.getLong(2)) ? row.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw failure("look up key '" + key + "'", e);
        }
    }

    private void writeRow(PendingWrite row) throws SQLException, StoreException {
        if (row.entry().isEmpty()) {
            PreparedStatement delete = statement(DELETE_KEY);
            delete.setString(1, row.key());
            delete.executeUpdate(); // a key written by this lease only may have no row: nothing to delete then
        } else if (!update(row.entry().get(), row.writtenMicros())) {
            insert(row.entry().get(), row.writtenMicros());
        }
    }

    /** @return false when the key has no row yet */
    private boolean update(MemoryEntry row, long writtenMicros) throws SQLException, StoreException {
        PreparedStatement update = statement(UPDATE_VALUE);
        int next = bindValue(update, 1, row.value());
        update.setLong(next, row.version());
        update.setLong(next + 1, row.fencingToken());
        bindExpiry(update, next + 2, row);
        update.setLong(next + 3, writtenMicros);
        update.setString(next + 4, row.key());
        return update.executeUpdate() > 0;
    }

    private void insert(MemoryEntry row, long writtenMicros) throws SQLException, StoreException {
        PreparedStatement insert = statement(INSERT_VALUE);
        insert.setString(1, row.key());
        int next = bindValue(insert, 2, row.value());
        insert.setLong(next, row.version());
        insert.setLong(next + 1, row.fencingToken());
        bindExpiry(insert, next + 2, row);
        insert.setLong(next + 3, writtenMicros);
        insert.executeUpdate();
    }

    /**
     * Appends the rows to a temporary table and merges it in: two statements whatever the row count. The table is
     * created in the transaction, so a rollback can take it away: these statements are not kept prepared.
     */
    private void merge(Collection<PendingWrite> rows) throws SQLException, StoreException {
        Connection connection = database.connection();
        ranSql = true;
        try (Statement statement = connection.createStatement()) {
            statement.execute(CREATE_PENDING);
        }
        try (DuckDBAppender appender = connection.unwrap(DuckDBConnection.class)
                .createAppender(DuckDBConnection.DEFAULT_SCHEMA, PENDING)) {
            for (PendingWrite row : rows) {
                appender.beginRow().append(row.key()).append(row.entry().isEmpty());
                appendEntry(appender, row);
                appender.append(row.writtenMicros()).endRow();
            }
        }
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate(DELETE_PENDING_DELETIONS);
            statement.executeUpdate(MERGE_PENDING);
            statement.executeUpdate(EMPTY_PENDING);
        }
    }

    /** Appends the entry's kind, text, bytes, version, fencing token and expiry time: nulls for a deletion. */
    private static void appendEntry(DuckDBAppender appender, PendingWrite write) throws SQLException {
        if (write.entry().isEmpty()) {
            appender.appendNull().appendNull().appendNull().appendNull().appendNull().appendNull();
            return;
        }
        MemoryEntry entry = write.entry().get();
        StoredValue value = entry.value();
        appender.append(value.kind().name());
        if (value.kind() == ValueKind.BYTES) {
            appender.appendNull().append(value.bytes());
        } else {
            appender.append(value.text()).appendNull();
        }
        appender.append(entry.version()).append(entry.fencingToken());
        if (entry.expiresAtMicros() != 0) {
            appender.append(entry.expiresAtMicros());
        } else {
            appender.appendNull();
        }
    }

    /** Binds the entry's expiry time in microseconds, or NULL when it never expires. */
    private static void bindExpiry(PreparedStatement statement, int index, MemoryEntry entry) throws SQLException {
        if (entry.expiresAtMicros() != 0) {
            statement.setLong(index, entry.expiresAtMicros());
        } else {
            statement.setNull(index, Types.BIGINT);
        }
    }

    /** Binds kind, text and bytes from {@code index}; returns the next free index. */
    private static int bindValue(PreparedStatement statement, int index, StoredValue value) throws SQLException {
        statement.setString(index, value.kind().name());
        statement.setString(index + 1, value.text());
        statement.setBytes(index + 2, value.bytes());
        return index + 3;
    }


    private void checkInWork() {
        if (!inWork) {
            throw new IllegalStateException("This session's work has ended; use a session only inside its work");
        }
    }

    private PreparedStatement statement(String sql) throws SQLException, StoreException {
        PreparedStatement statement = statements.get(sql);
        if (statement == null) {
            statement = database.connection().prepareStatement(sql);
            statements.put(sql, statement);
        }
        ranSql = true;
        return statement;
    }

    private StoreException failure(String what, SQLException e) {
        sqlFailed = true;
        return new StoreException("Cannot " + what + ": " + e.getMessage(), e);
    }
}
