package dev.robustmemory.duckdb;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.OptionalLong;

import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.StoreException;

/**
 * The two tables of a memory, readable with the {@code duckdb} command line tool:
 *
 * <pre>
 * robustmemory_entries(key VARCHAR PRIMARY KEY, kind VARCHAR ('TEXT'|'BYTES'|'JSON'), text_value VARCHAR,
 *                      bytes_value BLOB, version BIGINT, fencing_token BIGINT, updated_at TIMESTAMPTZ,
 *                      expires_at TIMESTAMPTZ)
 * robustmemory_meta(name VARCHAR PRIMARY KEY, value BIGINT)  -- 'schema_version', 'fencing_token', 'journal_applied',
 *                                                             'database_id', 'revision', 'journal_id',
 *                                                             'change_retention_micros', 'changes_complete_after'
 * robustmemory_changes(revision BIGINT, key VARCHAR, deleted BOOLEAN, kind VARCHAR, text_value VARCHAR,
 *                      bytes_value BLOB, fencing_token BIGINT, expires_at TIMESTAMPTZ, written_at TIMESTAMPTZ,
 *                      PRIMARY KEY (revision, key))
 * </pre>
 *
 * Text and JSON values live in {@code text_value}, bytes in {@code bytes_value}; {@code fencing_token} is the token
 * of the grant that last wrote the row, and the meta row {@code fencing_token} the latest token that wrote the tables
 * (grants take their tokens from the journal's header, above it). {@code journal_applied} is the sequence number of the last
 * {@link WriteAheadJournal} record the table holds; schema version 2 introduced it (a library that reads version 1
 * would not know to replay the journal, so it must refuse these files). {@code version} is the memory-wide revision
 * of the row's last change ({@link RevisionClock}) and {@code revision} the latest revision the table holds; version 3
 * introduced them (a library that reads version 2 would count versions per key again and reuse them after a delete).
 * An older file is upgraded in place: its revision starts after its highest per-key version. {@code journal_id} is the
 * id of the {@link WriteAheadJournal} last found or created at the journal path, recorded before anything is
 * appended to it, so that a journal deleted or replaced later is noticed; it is absent until the first lease of a
 * library that records it (older ones ignore the row). {@code expires_at} (NULL: never) is when the row stops being
 * visible ({@link ExpiryClock}); version 4 introduced it (a library that reads version 3 would show expired rows).
 * {@code robustmemory_changes} is the change log ({@link MemorySession#changesAfter}), kept once a reader asked for it
 * ({@code change_retention_micros}, how long changes are kept): every change after revision
 * {@code changes_complete_after} is there, a value's row holding the value it wrote; older ones were reclaimed.
 */
final class Schema {

    static final int VERSION = 4;
    static final String ENTRIES = "robustmemory_entries";
    static final String META = "robustmemory_meta";
    static final String CHANGES = "robustmemory_changes";

    private static final String SCHEMA_VERSION = "schema_version";
    private static final String FENCING_TOKEN = "fencing_token";
    private static final String JOURNAL_APPLIED = "journal_applied";
    private static final String DATABASE_ID = "database_id";
    private static final String REVISION = "revision";
    private static final String JOURNAL_ID = "journal_id";
    private static final String CHANGE_RETENTION = "change_retention_micros";
    private static final String CHANGES_COMPLETE_AFTER = "changes_complete_after";
    private static final String READ_META = "SELECT value FROM " + META + " WHERE name = ?";

    private Schema() {
    }

    /**
     * Creates whatever is missing and checks the schema version.
     *
     * @throws StoreException when the file was written by a newer, incompatible schema
     */
    static void create(Connection connection) throws SQLException, StoreException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS " + META
                              + " (name VARCHAR PRIMARY KEY, value BIGINT NOT NULL)");
            statement.execute("CREATE TABLE IF NOT EXISTS " + ENTRIES + " ("
                              + "key VARCHAR PRIMARY KEY, "
                              + "kind VARCHAR NOT NULL CHECK (kind IN ('TEXT', 'BYTES', 'JSON')), "
                              + "text_value VARCHAR, "
                              + "bytes_value BLOB, "
                              + "version BIGINT NOT NULL, "
                              + "fencing_token BIGINT NOT NULL, "
                              + "updated_at TIMESTAMPTZ NOT NULL, "
                              + "expires_at TIMESTAMPTZ)");
            statement.execute("ALTER TABLE " + ENTRIES + " ADD COLUMN IF NOT EXISTS expires_at TIMESTAMPTZ");
            statement.execute("CREATE TABLE IF NOT EXISTS " + CHANGES + " (revision BIGINT NOT NULL,"
                              + " key VARCHAR NOT NULL, deleted BOOLEAN NOT NULL, kind VARCHAR, text_value VARCHAR,"
                              + " bytes_value BLOB, fencing_token BIGINT, expires_at TIMESTAMPTZ,"
                              + " written_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (revision, key))");
            statement.execute("INSERT INTO " + META + " VALUES ('" + SCHEMA_VERSION + "', " + VERSION + "), ('"
                              + FENCING_TOKEN + "', 0), ('" + JOURNAL_APPLIED + "', 0), ('" + DATABASE_ID + "', "
                              + new SecureRandom().nextLong() + ") ON CONFLICT DO NOTHING");
            // Older files differ only by the rows just added; the revision must start after every version in use.
            statement.execute("INSERT INTO " + META + " SELECT '" + REVISION + "', coalesce(max(version), 0) FROM "
                              + ENTRIES + " ON CONFLICT DO NOTHING");
            statement.execute("UPDATE " + META + " SET value = " + VERSION + " WHERE name = '" + SCHEMA_VERSION
                              + "' AND value IN (1, 2, 3)");
        }
        long found = readMeta(connection, SCHEMA_VERSION);
        if (found != VERSION) {
            throw new StoreException("The database has robustmemory schema version " + found + "; this library reads"
                                     + " version " + VERSION + " only");
        }
    }

    static long currentFencingToken(Connection connection) throws SQLException {
        return readMeta(connection, FENCING_TOKEN);
    }

    /**
     * What the database says of its journal, in one query (it is read at every lease).
     *
     * @param databaseId a random number drawn when the database was created: tells its journal from one of an older
     *                   database
     * @param appliedSeq the sequence number of the last journal record applied to the entries
     * @param revision   the latest revision the entries hold
     * @param journalId  the id of the journal the database knows, {@link WriteAheadJournal#NO_JOURNAL} when none yet
     * @param fencingToken the token of the latest grant that wrote the entries
     */
    record JournalState(long databaseId, long appliedSeq, long revision, long journalId, long fencingToken) {
    }

    static JournalState journalState(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT max(value) FILTER (WHERE name = '" + DATABASE_ID
                     + "'), max(value) FILTER (WHERE name = '" + JOURNAL_APPLIED + "'), max(value) FILTER (WHERE"
                     + " name = '" + REVISION + "'), coalesce(max(value) FILTER (WHERE name = '" + JOURNAL_ID
                     + "'), " + WriteAheadJournal.NO_JOURNAL + "), max(value) FILTER (WHERE name = '" + FENCING_TOKEN
                     + "') FROM " + META)) {
            rows.next();
            return new JournalState(rows.getLong(1), rows.getLong(2), rows.getLong(3), rows.getLong(4),
                    rows.getLong(5));
        }
    }

    /**
     * Records, in the transaction that applies them, that the entries hold the journal up to {@code seq} and the
     * changes up to {@code revision}, written under the grant of {@code fencingToken}.
     */
    static void recordApplied(Connection connection, long seq, long revision, long fencingToken) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("UPDATE " + META + " SET value = CASE name"
                + " WHEN '" + JOURNAL_APPLIED + "' THEN ? WHEN '" + REVISION + "' THEN ? ELSE ? END WHERE name IN ('"
                + JOURNAL_APPLIED + "', '" + REVISION + "', '" + FENCING_TOKEN + "')")) {
            statement.setLong(1, seq);
            statement.setLong(2, revision);
            statement.setLong(3, fencingToken);
            statement.executeUpdate();
        }
    }

    /**
     * Whether the change log is kept, and from where it is complete.
     *
     * @param retentionMicros how long changes are kept; 0 when the log is not kept
     * @param completeAfter   every change after this revision is in the log
     */
    record ChangeLog(long retentionMicros, long completeAfter) {

        boolean isKept() {
            return retentionMicros > 0;
        }
    }

    static ChangeLog changeLog(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT coalesce(max(value) FILTER (WHERE name = '"
                     + CHANGE_RETENTION + "'), 0), coalesce(max(value) FILTER (WHERE name = '"
                     + CHANGES_COMPLETE_AFTER + "'), 0) FROM " + META)) {
            rows.next();
            return new ChangeLog(rows.getLong(1), rows.getLong(2));
        }
    }

    static void recordChangeLog(Connection connection, ChangeLog log) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("INSERT OR REPLACE INTO " + META
                + " VALUES ('" + CHANGE_RETENTION + "', ?), ('" + CHANGES_COMPLETE_AFTER + "', ?)")) {
            statement.setLong(1, log.retentionMicros());
            statement.setLong(2, log.completeAfter());
            statement.executeUpdate();
        }
    }

    /** Records the id of the journal at the path; from then on, its deletion or replacement is noticed. */
    static void recordJournalId(Connection connection, long journalId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("INSERT OR REPLACE INTO " + META
                + " VALUES ('" + JOURNAL_ID + "', ?)")) {
            statement.setLong(1, journalId);
            statement.executeUpdate();
        }
    }

    private static long readMeta(Connection connection, String name) throws SQLException {
        return optionalMeta(connection, name)
                .orElseThrow(() -> new SQLException("The " + META + " table has no '" + name + "' row"));
    }

    private static OptionalLong optionalMeta(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(READ_META)) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? OptionalLong.of(row.getLong(1)) : OptionalLong.empty();
            }
        }
    }
}
