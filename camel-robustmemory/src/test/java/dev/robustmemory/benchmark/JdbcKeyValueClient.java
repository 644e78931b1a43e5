package dev.robustmemory.benchmark;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Store and load as plain SQL on one JDBC connection with prepared statements, in autocommit: every store is its own
 * durable transaction. The same SQL runs on DuckDB and SQLite, so the baselines differ only in the engine; a baseline
 * on another engine gives its own SQL with the same parameters ({@link #JdbcKeyValueClient(Connection, String,
 * String)}).
 */
final class JdbcKeyValueClient implements KeyValueClient {

    private static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS memory (k VARCHAR PRIMARY KEY, v VARCHAR)";
    private static final String UPSERT = "INSERT OR REPLACE INTO memory (k, v) VALUES (?, ?)";
    private static final String SELECT = "SELECT v FROM memory WHERE k = ?";

    private final Connection connection;
    private final PreparedStatement upsert;
    private final PreparedStatement select;

    /** Takes over {@code connection} (closed with this client); the table must exist ({@link #createTable}). */
    JdbcKeyValueClient(Connection connection) throws SQLException {
        this(connection, UPSERT, SELECT);
    }

    /**
     * Takes over {@code connection} (closed with this client), storing and loading with other SQL.
     *
     * @param upsertSql stores parameter 2 as the value of the key in parameter 1
     * @param selectSql finds the key in parameter 1, a row when present
     */
    JdbcKeyValueClient(Connection connection, String upsertSql, String selectSql) throws SQLException {
        this.connection = connection;
        this.upsert = connection.prepareStatement(upsertSql);
        this.select = connection.prepareStatement(selectSql);
    }

    static void createTable(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(CREATE_TABLE);
        }
    }

    @Override
    public void store(String key, String value) throws SQLException {
        upsert.setString(1, key);
        upsert.setString(2, value);
        upsert.executeUpdate();
    }

    @Override
    public boolean load(String key) throws SQLException {
        select.setString(1, key);
        try (ResultSet rows = select.executeQuery()) {
            return rows.next();
        }
    }

    /** In one transaction: preparing a load workload should not take longer than running it. */
    @Override
    public void storeAll(Iterable<String> keys, String value) throws SQLException {
        connection.setAutoCommit(false);
        try {
            for (String key : keys) {
                store(key, value);
            }
            connection.commit();
        } finally {
            connection.setAutoCommit(true);
        }
    }

    @Override
    public void close() throws SQLException {
        try (connection; upsert; select) {
            // closes the statements, then the connection
        }
    }
}
