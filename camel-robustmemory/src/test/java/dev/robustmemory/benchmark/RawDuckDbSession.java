package dev.robustmemory.benchmark;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * DuckDB with no lock and no reopening: each client holds its own connection for the whole run. In one JVM the
 * driver shares one database instance per path, so the clients see each other's commits; another process cannot
 * open the file meanwhile, which is why this is a single-process baseline.
 */
final class RawDuckDbSession implements BackendSession {

    private final String url;
    /** Keeps the database instance (and DuckDB's file lock) for the session, whatever the clients do. */
    private final Connection anchor;

    private RawDuckDbSession(String url, Connection anchor) {
        this.url = url;
        this.anchor = anchor;
    }

    /** The JDBC URL of the benchmark's DuckDB database in {@code directory}. */
    static String url(Path directory) {
        return "jdbc:duckdb:" + directory.resolve("memory.duckdb");
    }

    static RawDuckDbSession open(Path directory) throws SQLException {
        String url = url(directory);
        Connection anchor = DriverManager.getConnection(url);
        JdbcKeyValueClient.createTable(anchor);
        return new RawDuckDbSession(url, anchor);
    }

    @Override
    public JdbcKeyValueClient newClient() throws SQLException {
        return new JdbcKeyValueClient(DriverManager.getConnection(url));
    }

    @Override
    public void close() throws SQLException {
        anchor.close();
    }
}
