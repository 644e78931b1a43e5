package dev.robustmemory.postgresql;

import dev.robustmemory.memory.StoreException;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

/**
 * The four tables of a memory on PostgreSQL, named by a prefix so that several memories share a schema:
 *
 * <pre>
 * &lt;prefix&gt;entries(key TEXT COLLATE "C" PRIMARY KEY, kind TEXT, text_value TEXT, bytes_value BYTEA,
 *                   version BIGINT, fencing_token BIGINT, expires_at_micros BIGINT, updated_micros BIGINT)
 * &lt;prefix&gt;meta(name TEXT PRIMARY KEY, value BIGINT)  -- 'schema_version', 'fencing_token', 'revision', 'clock_mark',
 *                                                   'change_retention_micros', 'changes_complete_after'
 * &lt;prefix&gt;changes(revision BIGINT, key TEXT COLLATE "C", deleted BOOLEAN, kind TEXT, text_value TEXT,
 *                   bytes_value BYTEA, version BIGINT, fencing_token BIGINT, expires_at_micros BIGINT,
 *                   written_micros BIGINT,
 *                   PRIMARY KEY (revision, key))
 * &lt;prefix&gt;locks(name TEXT COLLATE "C" PRIMARY KEY, token BIGINT, holder TEXT, acquired_at TIMESTAMPTZ,
 *                 expires_at TIMESTAMPTZ, released BOOLEAN)  -- the named locks' lease rows ({@link PostgresNamedLocks})
 * </pre>
 *
 * Keys are ordered by code point ({@code COLLATE "C"} on UTF-8), as on DuckDB. Times are microseconds since the
 * epoch, compared exactly. The meta row {@code fencing_token} is what each work's grant increments: the statement
 * that takes the next token holds the row until the work's transaction ends, which is what excludes other works.
 * The locks table came after the others under the same schema version: creating is {@code IF NOT EXISTS}, so the
 * tables of an existing memory gain it on their next use, and a library without named locks ignores it.
 */
final class PostgresTables {

    static final int SCHEMA_VERSION = 1;
    private static final Pattern PREFIX = Pattern.compile("[a-z_][a-z0-9_]{0,40}");
    /** Held while creating the tables, so that processes starting together do not race on CREATE TABLE. */
    private static final long CREATION_LOCK = 0x726f627573746d65L; // "robustme"

    final String entries;
    final String meta;
    final String changes;
    final String locks;

    private PostgresTables(String prefix) {
        this.entries = prefix + "entries";
        this.meta = prefix + "meta";
        this.changes = prefix + "changes";
        this.locks = prefix + "locks";
    }

    /**
     * The statement that bounds this transaction's waits for row locks: at least 1 ms, and at most what
     * {@code lock_timeout} (an int of milliseconds, some 24.8 days) takes, so that a longer wait does not make
     * PostgreSQL refuse the setting and fail every attempt.
     */
    static String setLocalLockTimeout(long millis) {
        return "SET LOCAL lock_timeout = '" + Math.min(Integer.MAX_VALUE, Math.max(1, millis)) + "ms'";
    }

    /** @throws IllegalArgumentException unless the prefix is lower-case letters, digits and '_' (no quoting needed) */
    static PostgresTables withPrefix(String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("The table prefix must be lower-case letters, digits and '_', starting"
                                               + " with a letter or '_' (at most 41 characters), not '" + prefix + "'");
        }
        return new PostgresTables(prefix);
    }

    /**
     * Creates what is missing, in its own transaction, and checks the schema version.
     *
     * @throws StoreException when the tables were made by a newer, incompatible version
     */
    void create(Connection connection) throws SQLException, StoreException {
        try (Statement statement = connection.createStatement()) {
            // Transaction-scoped: released at the commit below, whatever becomes of the connection.
            statement.execute("SELECT pg_advisory_xact_lock(" + CREATION_LOCK + ")");
            statement.execute("CREATE TABLE IF NOT EXISTS " + meta + " (name TEXT PRIMARY KEY, value BIGINT NOT NULL)");
            statement.execute("CREATE TABLE IF NOT EXISTS " + entries + " (key TEXT COLLATE \"C\" PRIMARY KEY,"
                              + " kind TEXT NOT NULL CHECK (kind IN ('TEXT', 'BYTES', 'JSON')), text_value TEXT,"
                              + " bytes_value BYTEA, version BIGINT NOT NULL, fencing_token BIGINT NOT NULL,"
                              + " expires_at_micros BIGINT, updated_micros BIGINT NOT NULL)");
            statement.execute("CREATE TABLE IF NOT EXISTS " + changes + " (revision BIGINT NOT NULL,"
                              + " key TEXT COLLATE \"C\" NOT NULL, deleted BOOLEAN NOT NULL, kind TEXT, text_value TEXT,"
                              + " bytes_value BYTEA, version BIGINT, fencing_token BIGINT, expires_at_micros BIGINT,"
                              + " written_micros BIGINT NOT NULL, PRIMARY KEY (revision, key))");
            // Rows are never deleted: a name's token only grows (PostgresNamedLocks).
            statement.execute("CREATE TABLE IF NOT EXISTS " + locks + " (name TEXT COLLATE \"C\" PRIMARY KEY,"
                              + " token BIGINT NOT NULL, holder TEXT NOT NULL, acquired_at TIMESTAMPTZ NOT NULL,"
                              + " expires_at TIMESTAMPTZ NOT NULL, released BOOLEAN NOT NULL)");
            statement.execute("INSERT INTO " + meta + " VALUES ('schema_version', " + SCHEMA_VERSION + "),"
                              + " ('fencing_token', 0), ('revision', 0), ('clock_mark', 0),"
                              + " ('change_retention_micros', 0), ('changes_complete_after', 0)"
                              + " ON CONFLICT (name) DO NOTHING");
            try (var row = statement.executeQuery("SELECT value FROM " + meta + " WHERE name = 'schema_version'")) {
                row.next();
                long found = row.getLong(1);
                if (found != SCHEMA_VERSION) {
                    throw new StoreException("The tables " + entries + " and " + meta + " have robustmemory schema"
                                             + " version " + found + "; this library reads version " + SCHEMA_VERSION
                                             + " only");
                }
            }
        }
        connection.commit();
    }
}
