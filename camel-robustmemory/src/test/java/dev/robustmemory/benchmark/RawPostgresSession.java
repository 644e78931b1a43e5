package dev.robustmemory.benchmark;

import dev.robustmemory.postgresql.PostgresMemory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * PostgreSQL with nothing of the memory's around it: each client holds its own connection for the whole run, in
 * autocommit, and stores with one {@code INSERT ... ON CONFLICT (key) DO UPDATE}, loads with one {@code SELECT} by
 * primary key: one round trip and (for a store) one commit per operation, the floor cost of PostgreSQL itself.
 *
 * <p>The table is the memory's own {@code <prefix>entries} (created by opening a memory on the prefix and running
 * one work), so the baseline writes rows of the same shape, collation and indexes as the memory does, and a
 * schema change of the memory reaches it: its upsert writes every column the memory's writes, a text value with
 * version, fencing token and update time; the version counts up as the memory's does.
 */
final class RawPostgresSession implements BackendSession {

    private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(60);
    private static final String SERVER_MICROS = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint";

    private final DataSource connections;
    private final String upsert;
    private final String select;

    private RawPostgresSession(DataSource connections, String entries) {
        this.connections = connections;
        this.upsert = "INSERT INTO " + entries + " AS e (key, kind, text_value, version, fencing_token,"
                      + " updated_micros) VALUES (?, 'TEXT', ?, 1, 0, " + SERVER_MICROS + ") ON CONFLICT (key) DO"
                      + " UPDATE SET kind = excluded.kind, text_value = excluded.text_value, bytes_value = NULL,"
                      + " version = e.version + 1, expires_at_micros = NULL, updated_micros = excluded.updated_micros";
        this.select = "SELECT kind, text_value, bytes_value, version, fencing_token, expires_at_micros FROM "
                      + entries + " WHERE key = ?";
    }

    static RawPostgresSession open(Path directory) throws IOException, InterruptedException {
        DataSource connections = BenchPostgres.connections();
        String prefix = BenchPostgres.tablePrefix(directory);
        // Opening holds nothing; the first work creates the tables (under the memory's own creation lock).
        try (PostgresMemory memory = PostgresMemory.open(connections, prefix, PostgresMemorySession.MAX_VALUE_SIZE)) {
            memory.execute(CREATE_TIMEOUT, session -> session.size());
        }
        return new RawPostgresSession(connections, prefix + "entries");
    }

    @Override
    public JdbcKeyValueClient newClient() throws SQLException {
        return new JdbcKeyValueClient(connections.getConnection(), upsert, select);
    }

    @Override
    public void close() {
        // each client closes its own connection; the server and the tables stay for the run
    }
}
