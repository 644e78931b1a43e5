package dev.robustmemory.postgresql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.robustmemory.testing.EmbeddedPostgresServer;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** The named locks' tests' ways to the database: real pools, a partition, terminated backends, the rows' state. */
final class LockDatabases {

    private LockDatabases() {
    }

    /** A HikariCP pool whose connections carry {@code applicationName}, so a test can find their backends. */
    static HikariDataSource pool(String url, String applicationName, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.addDataSourceProperty("ApplicationName", applicationName);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(5_000);
        config.setPoolName(applicationName);
        return new HikariDataSource(config);
    }

    static HikariDataSource pool(String applicationName, int size) {
        return pool(EmbeddedPostgresServer.jdbcUrl(), applicationName, size);
    }

    /** Terminates every backend of the application; @return how many */
    static int terminateBackends(DataSource admin, String applicationName) throws SQLException {
        try (Connection connection = admin.getConnection(); Statement statement = connection.createStatement();
             ResultSet killed = statement.executeQuery("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM"
                     + " pg_stat_activity WHERE application_name = '" + applicationName + "'"
                     + " AND pid <> pg_backend_pid()")) {
            killed.next();
            return killed.getInt(1);
        }
    }

    /** Whether the name's lease has ended by the server's clock (or the name was never granted). */
    static boolean leaseEndedOnServer(DataSource dataSource, String table, String name) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT coalesce(bool_and(expires_at <= clock_timestamp()), true)"
                     + " FROM " + table + " WHERE name = '" + name + "'")) {
            row.next();
            return row.getBoolean(1);
        }
    }

    /**
     * A data source cut off from the database at will: while partitioned, every new connection fails as a refused
     * one would (SQLState 08001). What a holder whose network went away sees: its renewals fail. It can also lose the
     * answer to commits: the server commits, the client hears a broken connection (08006).
     */
    static final class PartitionedDataSource implements DataSource {
        private final DataSource delegate;
        private final AtomicInteger commitAnswersToLose = new AtomicInteger();
        private volatile boolean partitioned;

        PartitionedDataSource(DataSource delegate) {
            this.delegate = delegate;
        }

        void partition(boolean cutOff) {
            partitioned = cutOff;
        }

        /** The next {@code commits} commits are made on the server, but fail on the client. */
        void loseCommitAnswers(int commits) {
            commitAnswersToLose.set(commits);
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (partitioned) {
                throw new SQLException("Connection refused (the test's partition)", "08001");
            }
            Connection real = delegate.getConnection();
            return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, arguments) -> {
                        try {
                            Object result = method.invoke(real, arguments);
                            if (method.getName().equals("commit") && commitAnswersToLose.getAndDecrement() > 0) {
                                throw new SQLException("An I/O error occurred while sending to the backend (the"
                                                       + " test lost the commit's answer)", "08006");
                            }
                            return result;
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            if (partitioned) {
                throw new SQLException("Connection refused (the test's partition)", "08001");
            }
            return delegate.getConnection(username, password);
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return delegate.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            delegate.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            delegate.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return delegate.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return delegate.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            return delegate.unwrap(type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) throws SQLException {
            return delegate.isWrapperFor(type);
        }
    }
}
