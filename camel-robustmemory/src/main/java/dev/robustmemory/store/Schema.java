package dev.robustmemory.store;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The two tables of a memory, readable with the {@code duckdb} command line tool:
 *
 * <pre>
 * robustmemory_entries(key VARCHAR PRIMARY KEY, kind VARCHAR ('TEXT'|'BYTES'|'JSON'), text_value VARCHAR,
 *                      bytes_value BLOB, version BIGINT, fencing_token BIGINT, updated_at TIMESTAMPTZ)
 * robustmemory_meta(name VARCHAR PRIMARY KEY, value BIGINT)  -- 'schema_version', 'fencing_token', 'journal_applied',
 *                                                             'database_id', 'revision'
 * </pre>
 *
 * Text and JSON values live in {@code text_value}, bytes in {@code bytes_value}; {@code fencing_token} is the token
 * of the grant that last wrote the row. {@code journal_applied} is the sequence number of the last
 * {@link WriteAheadJournal} record the table holds; schema version 2 introduced it (a library that reads version 1
 * would not know to replay the journal, so it must refuse these files). {@code version} is the memory-wide revision
 * of the row's last change ({@link RevisionClock}) and {@code revision} the latest revision the table holds; version 3
 * introduced them (a library that reads version 2 would count versions per key again and reuse them after a delete).
 * An older file is upgraded in place: its revision starts after its highest per-key version.
 */
final class Schema {

    static final int VERSION = 3;
    static final String ENTRIES = "robustmemory_entries";
    static final String META = "robustmemory_meta";

    private static final String SCHEMA_VERSION = "schema_version";
    private static final String FENCING_TOKEN = "fencing_token";
    private static final String JOURNAL_APPLIED = "journal_applied";
    private static final String DATABASE_ID = "database_id";
    private static final String REVISION = "revision";
    private static final String NEXT_FENCING_TOKEN =
            "UPDATE " + META + " SET value = value + 1 WHERE name = '" + FENCING_TOKEN + "' RETURNING value";
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
                              + "updated_at TIMESTAMPTZ NOT NULL)");
            statement.execute("INSERT INTO " + META + " VALUES ('" + SCHEMA_VERSION + "', " + VERSION + "), ('"
                              + FENCING_TOKEN + "', 0), ('" + JOURNAL_APPLIED + "', 0), ('" + DATABASE_ID + "', "
                              + new SecureRandom().nextLong() + ") ON CONFLICT DO NOTHING");
            // Older files differ only by the rows just added; the revision must start after every version in use.
            statement.execute("INSERT INTO " + META + " SELECT '" + REVISION + "', coalesce(max(version), 0) FROM "
                              + ENTRIES + " ON CONFLICT DO NOTHING");
            statement.execute("UPDATE " + META + " SET value = " + VERSION + " WHERE name = '" + SCHEMA_VERSION
                              + "' AND value IN (1, 2)");
        }
        long found = readMeta(connection, SCHEMA_VERSION);
        if (found != VERSION) {
            throw new StoreException("The database has robustmemory schema version " + found + "; this library reads"
                                     + " version " + VERSION + " only");
        }
    }

    /** Increments the stored fencing token and returns the new value: one per lock grant, only growing. */
    static long nextFencingToken(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(NEXT_FENCING_TOKEN);
             ResultSet row = statement.executeQuery()) {
            if (!row.next()) {
                throw new SQLException("The " + META + " table has no '" + FENCING_TOKEN + "' row");
            }
            return row.getLong(1);
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
     */
    record JournalState(long databaseId, long appliedSeq, long revision) {
    }

    static JournalState journalState(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT max(value) FILTER (WHERE name = '" + DATABASE_ID
                     + "'), max(value) FILTER (WHERE name = '" + JOURNAL_APPLIED + "'), max(value) FILTER (WHERE"
                     + " name = '" + REVISION + "') FROM " + META)) {
            rows.next();
            return new JournalState(rows.getLong(1), rows.getLong(2), rows.getLong(3));
        }
    }

    /**
     * Records, in the transaction that applies them, that the entries hold the journal up to {@code seq} and the
     * changes up to {@code revision}.
     */
    static void recordApplied(Connection connection, long seq, long revision) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("UPDATE " + META + " SET value = CASE name"
                + " WHEN '" + JOURNAL_APPLIED + "' THEN ? ELSE ? END WHERE name IN ('" + JOURNAL_APPLIED + "', '"
                + REVISION + "')")) {
            statement.setLong(1, seq);
            statement.setLong(2, revision);
            statement.executeUpdate();
        }
    }

    private static long readMeta(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(READ_META)) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("The " + META + " table has no '" + name + "' row");
                }
                return row.getLong(1);
            }
        }
    }
}
