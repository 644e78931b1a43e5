package dev.robustmemory.store;

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
 * robustmemory_meta(name VARCHAR PRIMARY KEY, value BIGINT)  -- rows 'schema_version' and 'fencing_token'
 * </pre>
 *
 * Text and JSON values live in {@code text_value}, bytes in {@code bytes_value}; {@code fencing_token} is the token
 * of the grant that last wrote the row.
 */
final class Schema {

    static final int VERSION = 1;
    static final String ENTRIES = "robustmemory_entries";
    static final String META = "robustmemory_meta";

    private static final String SCHEMA_VERSION = "schema_version";
    private static final String FENCING_TOKEN = "fencing_token";
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
            statement.execute("CREATE TABLE IF NOT EXISTS " + META + " (name VARCHAR PRIMARY KEY, value BIGINT NOT NULL)");
            statement.execute("CREATE TABLE IF NOT EXISTS " + ENTRIES + " ("
                              + "key VARCHAR PRIMARY KEY, "
                              + "kind VARCHAR NOT NULL CHECK (kind IN ('TEXT', 'BYTES', 'JSON')), "
                              + "text_value VARCHAR, "
                              + "bytes_value BLOB, "
                              + "version BIGINT NOT NULL, "
                              + "fencing_token BIGINT NOT NULL, "
                              + "updated_at TIMESTAMPTZ NOT NULL)");
            statement.execute("INSERT INTO " + META + " VALUES ('" + SCHEMA_VERSION + "', " + VERSION + "), ('"
                              + FENCING_TOKEN + "', 0) ON CONFLICT DO NOTHING");
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
