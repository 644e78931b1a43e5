package dev.robustmemory.benchmark;

import org.sqlite.SQLiteConfig;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * SQLite shared by threads and processes the way SQLite is meant to be: one file in WAL mode, one connection per
 * thread, writers queueing on SQLite's own lock through {@code busy_timeout}. {@code synchronous=FULL} makes every
 * acknowledged commit durable (fsync of the WAL), the same promise robustmemory makes.
 */
final class SqliteSession implements BackendSession {

    private static final int BUSY_TIMEOUT_MILLIS = 60_000;

    private final String url;

    private SqliteSession(String url) {
        this.url = url;
    }

    static SqliteSession open(Path directory) throws SQLException {
        SqliteSession session = new SqliteSession("jdbc:sqlite:" + directory.resolve("memory.sqlite"));
        try (Connection connection = session.connect()) {
            JdbcKeyValueClient.createTable(connection);
        }
        return session;
    }

    @Override
    public JdbcKeyValueClient newClient() throws SQLException {
        return new JdbcKeyValueClient(connect());
    }

    @Override
    public void close() {
        // each client closes its own connection; the file needs nothing else
    }

    /** busy_timeout and synchronous are per connection, so every connection asks for them (the driver sets them). */
    private Connection connect() throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        return DriverManager.getConnection(url, config.toProperties());
    }
}
