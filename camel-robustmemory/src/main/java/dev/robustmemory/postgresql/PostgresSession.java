package dev.robustmemory.postgresql;

import dev.robustmemory.memory.FencedWriteException;
import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.MemoryChange;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.SessionRules;
import dev.robustmemory.memory.SqlRows;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;
import dev.robustmemory.memory.VersionConflictException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The operations of one work on PostgreSQL: every statement in the work's transaction, which holds the memory's
 * token row from its grant on ({@link PostgresMemory}), so no other work of any process reads or writes in between.
 * Revisions, the memory's time and the change log follow the embedded backend's rules ({@link SessionRules}); the
 * time is the database server's ({@code clock_timestamp()}), made monotonic by the {@code clock_mark} row.
 */
final class PostgresSession implements MemorySession {

    /** How many old changes one read of the log reclaims at most, so that it never holds long. */
    private static final int RECLAIM_CHANGES_MAX_ROWS = 10_000;
    private static final String COLUMNS = "kind, text_value, bytes_value, version, fencing_token, expires_at_micros";
    /** The SQL types of {@link #COLUMNS}, all NULL in a deletion's change row. */
    private static final int[] DELETED_ENTRY_TYPES = {Types.VARCHAR, Types.VARCHAR, Types.BINARY, Types.BIGINT,
            Types.BIGINT, Types.BIGINT};

    private final Connection connection;
    private final PostgresTables tables;
    private final long fencingToken;
    private final boolean readingWork;
    /** Whether the work runs in a read-only snapshot without the token row ({@link #beginSnapshot}). */
    private final boolean withoutGrant;
    /** Whether a work without the grant asked for something it cannot have without it: it runs again with it. */
    private boolean neededGrant;
    private final long maxValueSize;
    private final long startRevision;
    private final long startClockMark;
    private final long now;
    private long revision;
    private boolean consultedClock;
    private long changeRetentionMicros;
    private long changesCompleteAfter;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    private PostgresSession(Connection connection, PostgresTables tables, long fencingToken, boolean readingWork,
                            boolean withoutGrant, long maxValueSize, long[] state) {
        this.connection = connection;
        this.tables = tables;
        this.fencingToken = fencingToken;
        this.readingWork = readingWork;
        this.withoutGrant = withoutGrant;
        this.maxValueSize = maxValueSize;
        this.startRevision = state[0];
        this.revision = startRevision;
        this.startClockMark = state[1];
        this.changeRetentionMicros = state[2];
        this.changesCompleteAfter = state[3];
        this.now = Math.max(state[4], startClockMark);
    }

    /**
     * Takes the next fencing token and starts the session of the granted work, in one round trip: one execution of
     * several statements, {@code [SET LOCAL lock_timeout | SELECT ... FOR UPDATE NOWAIT]; UPDATE ... RETURNING;
     * SELECT <meta, clock>}. The transaction is READ COMMITTED, where every statement takes a new snapshot: the last
     * one's is taken after the UPDATE got the token row, so it sees every work committed before this one (a subquery
     * of the UPDATE would not: its snapshot predates the wait for the row). {@code testClock}, when not null, stands
     * in for the server's clock (of the memory's expiry: the named locks' leases always go by the server's).
     *
     * @param readingWork whether the work said it only reads ({@link dev.robustmemory.memory.MemoryWork#onlyReads})
     */
    static PostgresSession grantAndBegin(Connection connection, PostgresTables tables, Duration lockTimeout,
                                         boolean readingWork, long maxValueSize, Clock testClock) throws SQLException {
        String wait = lockTimeout.isZero()
                      ? "SELECT 1 FROM " + tables.meta + " WHERE name = 'fencing_token' FOR UPDATE NOWAIT"
                      : PostgresTables.setLocalLockTimeout(lockTimeout.toMillis());
        List<long[]> rows = execute(connection, 4, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; " + wait
                + "; UPDATE " + tables.meta + " SET value = value + 1 WHERE name = 'fencing_token' RETURNING value; "
                + stateQuery(tables, testClock));
        long token = rows.get(rows.size() - 2)[0];
        return new PostgresSession(connection, tables, token, readingWork, false, maxValueSize,
                rows.get(rows.size() - 1));
    }

    /**
     * Starts the session of a reading work without the token row, in one round trip: a {@code REPEATABLE READ, READ
     * ONLY} transaction whose one snapshot, taken by its first query (the meta state), holds a prefix of the works
     * in their order (they commit one at a time, each visible before it is acknowledged). The work's fencing token and
     * revision are the meta values in that snapshot. It writes nothing and cannot raise the clock mark: whatever it
     * cannot answer so ({@link #neededGrant()}) makes it run again with the grant.
     */
    static PostgresSession beginSnapshot(Connection connection, PostgresTables tables, long maxValueSize,
                                         Clock testClock) throws SQLException {
        List<long[]> rows = execute(connection, 2, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
                + stateQuery(tables, testClock));
        long[] state = rows.get(0);
        return new PostgresSession(connection, tables, state[5], true, true, maxValueSize, state);
    }

    /** revision, clock_mark, change_retention_micros, changes_complete_after, the clock, fencing_token. */
    private static String stateQuery(PostgresTables tables, Clock testClock) {
        String serverClock = testClock == null ? "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
                                               : Long.toString(SessionRules.micros(testClock.instant()));
        return "SELECT max(value) FILTER (WHERE name = 'revision'), max(value) FILTER (WHERE name = 'clock_mark'),"
               + " max(value) FILTER (WHERE name = 'change_retention_micros'), max(value) FILTER (WHERE name ="
               + " 'changes_complete_after'), " + serverClock + ", max(value) FILTER (WHERE name = 'fencing_token')"
               + " FROM " + tables.meta;
    }

    /**
     * Executes {@code statements} statements sent as one (one round trip) and returns the first row of each result
     * set among their results, as longs.
     */
    private static List<long[]> execute(Connection connection, int statements, String sql) throws SQLException {
        List<long[]> rows = new ArrayList<>();
        try (Statement statement = connection.createStatement()) {
            boolean isResultSet = statement.execute(sql);
            for (int i = 0; i < statements; i++) {
                if (i > 0) {
                    isResultSet = statement.getMoreResults();
                }
                if (isResultSet) {
                    try (ResultSet row = statement.getResultSet()) {
                        if (!row.next()) {
                            throw new SQLException("No row from " + sql);
                        }
                        long[] values = new long[row.getMetaData().getColumnCount()];
                        for (int column = 0; column < values.length; column++) {
                            values[column] = row.getLong(column + 1);
                        }
                        rows.add(values);
                    }
                }
            }
        }
        return rows;
    }

    /** Whether this work, run without the grant, needed it: what it did must be discarded and run again with it. */
    boolean neededGrant() {
        return neededGrant;
    }

    /**
     * Records the revision and the time this work went by; called before the commit, in its own round trip: a
     * failure here is a failure (nothing was committed), one of the commit an unknown outcome.
     */
    void finish() throws SQLException {
        if (!withoutGrant && (revision != startRevision || (consultedClock && now > startClockMark))) {
            PreparedStatement update = statement("UPDATE " + tables.meta + " SET value = CASE name WHEN 'revision'"
                    + " THEN ? ELSE greatest(value, ?) END WHERE name IN ('revision', 'clock_mark')");
            update.setLong(1, revision);
            update.setLong(2, consultedClock ? now : 0);
            update.executeUpdate();
        }
        closeStatements();
    }

    /** Closes what the session prepared; the transaction goes on. */
    void closeStatements() throws SQLException {
        for (PreparedStatement statement : statements.values()) {
            statement.close();
        }
        statements.clear();
    }

    /** Marks that the work without the grant needs it, and fails what it asked for (the outcome is discarded). */
    private void refuseWithoutGrant(String what) throws StoreException {
        if (withoutGrant) {
            neededGrant = true;
            throw new StoreException("A work without the memory's grant cannot " + what + "; it runs again with it");
        }
    }

    @Override
    public long fencingToken() {
        return fencingToken;
    }

    @Override
    public long revision() {
        return revision;
    }

    @Override
    public long nowMicros() {
        consultedClock = true;
        return now;
    }

    /**
     * {@inheritDoc}
     *
     * <p>On PostgreSQL: reads the name's lease row of {@code <prefix>locks} ({@link PostgresNamedLocks}) with
     * {@code FOR SHARE}, in this work's transaction. The row lock is held until the work commits or rolls back, and
     * every grant, renewal and release of the name updates that row, so each of them waits for this work: a work that
     * passed the check commits before any later grant of the name is made, and every work of a later holder sees its
     * writes. The grant must be the row's token, not released, and its lease not expired by the server's
     * {@code clock_timestamp()}: a holder paused past its lease is refused even if nobody has taken the name since
     * (nothing but this check would stop its write, and another may take the name at any moment). The work's
     * {@code lockTimeout} applies to the row lock too.
     */
    @Override
    public void requireNewestGrant(String lockName, long token) throws StoreException {
        if (readingWork) {
            throw new IllegalStateException("A reading work (MemoryWork.reading) writes nothing, so it has nothing to"
                                            + " fence with the named lock '" + lockName + "'");
        }
        PostgresNamedLocks.requireValidName(lockName);
        try {
            PreparedStatement select = statement("SELECT token, released, expires_at > clock_timestamp(), expires_at"
                    + " FROM " + tables.locks + " WHERE name = ? FOR SHARE");
            select.setString(1, lockName);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    throw new FencedWriteException(lockName, token, 0, "that name was never granted in "
                                                   + tables.locks);
                }
                long newest = row.getLong(1);
                if (newest != token) {
                    if (newest > token) {
                        throw new FencedWriteException(lockName, token, newest);
                    }
                    throw new FencedWriteException(lockName, token, newest, "the newest grant of that name in "
                            + tables.locks + " has token " + newest + ": that token was never granted for this name"
                            + " (it belongs to another name or memory, or the locks table was recreated)");
                }
                if (row.getBoolean(2)) {
                    throw new FencedWriteException(lockName, token, newest, "that grant was released: its holder no"
                                                   + " longer holds the name");
                }
                if (!row.getBoolean(3)) {
                    throw new FencedWriteException(lockName, token, newest, "the lease of that grant expired at "
                            + row.getTimestamp(4).toInstant() + " by the database server's clock (its holder did not"
                            + " renew it in time: paused, partitioned or overloaded), so another holder may take the"
                            + " name at any moment");
                }
            }
        } catch (SQLException e) {
            throw failure("check the grant of the named lock '" + lockName + "'", e);
        }
    }

    @Override
    public Optional<MemoryEntry> load(String key) throws StoreException {
        checkKey(key);
        return Optional.ofNullable(loadAll(List.of(key)).get(key));
    }

    @Override
    public Map<String, MemoryEntry> loadAll(Collection<String> keys) throws StoreException {
        keys.forEach(this::checkKey);
        Set<String> distinct = new LinkedHashSet<>(keys);
        Map<String, MemoryEntry> read = new HashMap<>();
        try {
            PreparedStatement select = statement("SELECT key, " + COLUMNS + " FROM " + tables.entries
                                                 + " WHERE key = ANY(?)");
            select.setArray(1, connection.createArrayOf("text", distinct.toArray()));
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    MemoryEntry entry = SqlRows.entry(row.getString(1), row, 2);
                    if (isLive(entry.expiresAtMicros())) {
                        read.put(entry.key(), entry);
                    }
                }
            }
        } catch (SQLException e) {
            throw failure("load " + distinct.size() + " keys", e);
        }
        Map<String, MemoryEntry> found = new LinkedHashMap<>();
        for (String key : distinct) {
            if (read.containsKey(key)) {
                found.put(key, read.get(key));
            }
        }
        return found;
    }

    @Override
    public void checkEntry(String key, StoredValue value) {
        checkKey(key);
        SessionRules.checkValue(value, maxValueSize);
        if (value.kind() != ValueKind.BYTES && value.text().indexOf('\0') >= 0) {
            throw new InvalidEntryException("PostgreSQL text cannot hold the character U+0000; store it as bytes");
        }
    }

    @Override
    public MemoryEntry store(String key, StoredValue value, OptionalLong expectedVersion, Duration timeToLive)
            throws StoreException {
        refuseWithoutGrant("store");
        checkEntry(key, value);
        long expiresAt = timeToLive == null ? 0 : SessionRules.expiryAfter(nowMicros(), timeToLive);
        SessionRules.checkExpectedVersion(expectedVersion);
        long current = load(key).map(MemoryEntry::version).orElse(0L);
        if (expectedVersion.isPresent() && current != expectedVersion.getAsLong()) {
            throw new VersionConflictException(key, expectedVersion.getAsLong(), current);
        }
        MemoryEntry entry = new MemoryEntry(key, value, ++revision, fencingToken, expiresAt);
        write(List.of(entry));
        return entry;
    }

    @Override
    public Map<String, MemoryEntry> storeAll(Map<String, StoredValue> values, Map<String, Long> expectedVersions,
                                            Duration timeToLive) throws StoreException {
        refuseWithoutGrant("store");
        values.forEach(this::checkEntry);
        long expiresAt = timeToLive == null ? 0 : SessionRules.expiryAfter(nowMicros(), timeToLive);
        SessionRules.checkExpectedVersions(values, expectedVersions);
        SessionRules.requireExpectedVersions(expectedVersions, loadAll(values.keySet()));
        Map<String, MemoryEntry> written = new LinkedHashMap<>();
        if (!values.isEmpty()) {
            long shared = ++revision;
            values.forEach((key, value) -> written.put(key, new MemoryEntry(key, value, shared, fencingToken,
                    expiresAt)));
            write(written.values());
        }
        return written;
    }

    @Override
    public boolean delete(String key) throws StoreException {
        refuseWithoutGrant("delete");
        checkKey(key);
        return !deleteAll(List.of(key)).isEmpty();
    }

    @Override
    public List<String> deleteAll(Collection<String> keys) throws StoreException {
        refuseWithoutGrant("delete");
        List<String> existing = List.copyOf(loadAll(keys).keySet());
        if (existing.isEmpty()) {
            return existing;
        }
        long shared = ++revision;
        try {
            PreparedStatement delete = statement("DELETE FROM " + tables.entries + " WHERE key = ANY(?)");
            delete.setArray(1, connection.createArrayOf("text", existing.toArray()));
            delete.executeUpdate();
            logDeletions(existing, shared);
        } catch (SQLException e) {
            throw failure("delete " + existing.size() + " keys", e);
        }
        return existing;
    }

    @Override
    public boolean exists(String key) throws StoreException {
        return load(key).isPresent();
    }

    @Override
    public List<String> keys(String prefix) throws StoreException {
        try {
            if (withoutGrant) {
                // Rows live at the clock mark, judged here: one that expired since the mark needs the grant.
                PreparedStatement select = statement("SELECT key, expires_at_micros FROM " + tables.entries
                        + " WHERE starts_with(key, ?) AND " + live() + " ORDER BY key");
                select.setString(1, SessionRules.literalPrefix(prefix));
                select.setLong(2, startClockMark);
                List<String> keys = new ArrayList<>();
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        long expiresAt = row.getLong(2);
                        if (isLive(row.wasNull() ? 0 : expiresAt)) {
                            keys.add(row.getString(1));
                        }
                    }
                }
                return keys;
            }
            return SqlRows.keys(statement("SELECT key FROM " + tables.entries + " WHERE starts_with(key, ?) AND "
                                          + live() + " ORDER BY key"), prefix, nowMicros());
        } catch (SQLException e) {
            throw failure("list keys", e);
        }
    }

    @Override
    public long clear(String prefix) throws StoreException {
        refuseWithoutGrant("clear");
        String literal = SessionRules.literalPrefix(prefix);
        try {
            List<String> deleted = SqlRows.keys(statement("DELETE FROM " + tables.entries
                    + " WHERE starts_with(key, ?) AND " + live() + " RETURNING key"), literal, nowMicros());
            if (!deleted.isEmpty()) {
                PreparedStatement expired = statement("DELETE FROM " + tables.entries + " WHERE starts_with(key, ?)");
                expired.setString(1, literal); // what is left of the prefix is expired: reclaimed with it
                expired.executeUpdate();
                logDeletions(deleted, ++revision);
            }
            return deleted.size();
        } catch (SQLException e) {
            throw failure("clear keys", e);
        }
    }

    @Override
    public long size() throws StoreException {
        try {
            if (withoutGrant) {
                PreparedStatement count = statement("SELECT count(*) FILTER (WHERE " + live() + "), coalesce(bool_or("
                        + "expires_at_micros > ? AND expires_at_micros <= ?), false) FROM " + tables.entries);
                long at = nowMicros();
                count.setLong(1, at);
                count.setLong(2, startClockMark);
                count.setLong(3, at);
                try (ResultSet row = count.executeQuery()) {
                    row.next();
                    if (row.getBoolean(2)) {
                        neededGrant = true; // an entry expired since the mark: judging it needs the mark raised
                    }
                    return row.getLong(1);
                }
            }
            PreparedStatement count = statement("SELECT count(*) FROM " + tables.entries + " WHERE " + live());
            count.setLong(1, nowMicros());
            try (ResultSet row = count.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        } catch (SQLException e) {
            throw failure("count keys", e);
        }
    }

    @Override
    public MemoryEntry increment(String key, long delta, Duration timeToLiveIfCreated) throws StoreException {
        refuseWithoutGrant("increment");
        checkKey(key);
        long expiresAtIfCreated = timeToLiveIfCreated == null ? 0
                                  : SessionRules.expiryAfter(nowMicros(), timeToLiveIfCreated);
        Optional<MemoryEntry> current = load(key);
        MemoryEntry entry = new MemoryEntry(key, SessionRules.incremented(key, current.orElse(null), delta),
                ++revision, fencingToken, current.map(MemoryEntry::expiresAtMicros).orElse(expiresAtIfCreated));
        write(List.of(entry));
        return entry;
    }

    @Override
    public long keepChanges(Duration retention) throws StoreException {
        long retentionMicros = Math.max(changeRetentionMicros, Math.max(1, retention.toNanos() / 1_000));
        long completeAfter = changeRetentionMicros > 0 ? changesCompleteAfter : revision;
        if (retentionMicros != changeRetentionMicros || completeAfter != changesCompleteAfter) {
            refuseWithoutGrant("keep the change log");
            recordChangeLog(retentionMicros, completeAfter);
        }
        return completeAfter;
    }

    /** {@inheritDoc} Changes older than the retention are reclaimed first, a bounded number at a time. */
    @Override
    public List<MemoryChange> changesAfter(MemoryChange.Position after, String prefix, int limit)
            throws StoreException {
        if (changeRetentionMicros == 0) {
            throw new IllegalStateException("The change log of this memory is not kept; keep it first");
        }
        refuseWithoutGrant("read the change log"); // its read reclaims old changes, which writes
        reclaimChanges();
        SqlRows.requireHeld(after, changesCompleteAfter);
        try {
            return SqlRows.read(statement("SELECT revision, key, deleted, " + COLUMNS + ", written_micros FROM "
                    + tables.changes + " WHERE (revision > ? OR (revision = ? AND key > ?)) AND starts_with(key, ?)"
                    + " ORDER BY revision, key LIMIT ?"), after, prefix, limit);
        } catch (SQLException e) {
            throw failure("read the change log", e);
        }
    }

    /** Deletes at most {@code limit} rows that expired; nothing anyone sees changes, so it takes no revision. */
    void reclaimExpired(int limit) throws SQLException {
        PreparedStatement delete = statement("DELETE FROM " + tables.entries + " WHERE key IN (SELECT key FROM "
                + tables.entries + " WHERE expires_at_micros <= ? LIMIT ?)");
        delete.setLong(1, nowMicros());
        delete.setInt(2, limit);
        delete.executeUpdate();
    }

    private void reclaimChanges() throws StoreException {
        try {
            OptionalLong through = SqlRows.deleteOldChanges(statement("SELECT max(revision) FROM (SELECT revision"
                    + " FROM " + tables.changes + " WHERE written_micros < ? ORDER BY revision LIMIT ?) old"),
                    statement("DELETE FROM " + tables.changes + " WHERE revision <= ?"),
                    nowMicros() - changeRetentionMicros, RECLAIM_CHANGES_MAX_ROWS);
            if (through.isPresent()) {
                recordChangeLog(changeRetentionMicros, Math.max(changesCompleteAfter, through.getAsLong()));
            }
        } catch (SQLException e) {
            throw failure("reclaim old changes", e);
        }
    }

    private void recordChangeLog(long retentionMicros, long completeAfter) throws StoreException {
        try {
            PreparedStatement update = statement("UPDATE " + tables.meta + " SET value = CASE name WHEN"
                    + " 'change_retention_micros' THEN ? ELSE ? END WHERE name IN ('change_retention_micros',"
                    + " 'changes_complete_after')");
            update.setLong(1, retentionMicros);
            update.setLong(2, completeAfter);
            update.executeUpdate();
        } catch (SQLException e) {
            throw failure("keep the change log", e);
        }
        changeRetentionMicros = retentionMicros;
        changesCompleteAfter = completeAfter;
    }

    private void write(Collection<MemoryEntry> written) throws StoreException {
        try {
            PreparedStatement upsert = statement("INSERT INTO " + tables.entries + " (key, " + COLUMNS
                    + ", updated_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                    + " kind = excluded.kind, text_value = excluded.text_value, bytes_value = excluded.bytes_value,"
                    + " version = excluded.version, fencing_token = excluded.fencing_token,"
                    + " expires_at_micros = excluded.expires_at_micros, updated_micros = excluded.updated_micros");
            for (MemoryEntry entry : written) {
                upsert.setString(1, entry.key());
                bindEntry(upsert, 2, entry);
                upsert.setLong(8, now);
                upsert.addBatch();
            }
            upsert.executeBatch();
            if (changeRetentionMicros > 0) {
                PreparedStatement log = changeStatement();
                for (MemoryEntry entry : written) {
                    log.setLong(1, entry.version());
                    log.setString(2, entry.key());
                    log.setBoolean(3, false);
                    bindEntry(log, 4, entry);
                    log.setLong(10, now);
                    log.addBatch();
                }
                log.executeBatch();
            }
        } catch (SQLException e) {
            throw failure("write " + written.size() + " entries", e);
        }
    }

    private void logDeletions(List<String> keys, long deletionRevision) throws SQLException {
        if (changeRetentionMicros == 0) {
            return;
        }
        PreparedStatement log = changeStatement();
        for (String key : keys) {
            log.setLong(1, deletionRevision);
            log.setString(2, key);
            log.setBoolean(3, true);
            for (int i = 0; i < DELETED_ENTRY_TYPES.length; i++) {
                log.setNull(4 + i, DELETED_ENTRY_TYPES[i]);
            }
            log.setLong(10, now);
            log.addBatch();
        }
        log.executeBatch();
    }

    private PreparedStatement changeStatement() throws SQLException {
        return statement("INSERT INTO " + tables.changes + " (revision, key, deleted, " + COLUMNS
                         + ", written_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    }

    /** Binds the entry's kind, text, bytes, version, fencing token and expiry time from {@code index}. */
    private static void bindEntry(PreparedStatement statement, int index, MemoryEntry entry) throws SQLException {
        StoredValue value = entry.value();
        statement.setString(index, value.kind().name());
        statement.setString(index + 1, value.text());
        statement.setBytes(index + 2, value.bytes());
        statement.setLong(index + 3, entry.version());
        statement.setLong(index + 4, entry.fencingToken());
        if (entry.expiresAtMicros() != 0) {
            statement.setLong(index + 5, entry.expiresAtMicros());
        } else {
            statement.setNull(index + 5, Types.BIGINT);
        }
    }


    /**
     * Whether an entry expiring then (0: never) is visible at the work's time. Without the grant the time cannot be
     * raised into the clock mark, so an entry that expired after the mark (by a clock that later works, stepped back,
     * would not go by) cannot be judged expired: the work needs the grant, which raises the mark
     * ({@link #neededGrant()}), as a read without the lock does on DuckDB.
     */
    private boolean isLive(long expiresAtMicros) {
        if (expiresAtMicros == 0) {
            return true;
        }
        boolean live = expiresAtMicros > nowMicros();
        if (!live && withoutGrant && expiresAtMicros > startClockMark) {
            neededGrant = true;
        }
        return live;
    }

    /** The condition of rows live at the time bound as its one parameter. */
    private static String live() {
        return "(expires_at_micros IS NULL OR expires_at_micros > ?)";
    }

    private void checkKey(String key) {
        SessionRules.checkKey(key);
        if (key.indexOf('\0') >= 0) {
            throw new InvalidEntryException("A key on PostgreSQL cannot hold the character U+0000");
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

    private static StoreException failure(String what, SQLException e) {
        return new StoreException("Cannot " + what + " on PostgreSQL: " + e.getMessage(), e);
    }
}
