package dev.robustmemory.duckdb.lock;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the users of a lock file's one handle in this JVM: opens not yet closed, grants held, acquisitions under
 * way. The handle may be closed only when the count reaches zero, because closing any handle of a file drops every
 * record lock this process holds on it; and once closed the count stays closed, so a closed instance never opens its
 * handle again (a later open makes a new instance).
 */
final class HandleUsers {

    private static final int CLOSED = -1;

    private final AtomicInteger count = new AtomicInteger(1);
    private final String name;

    /** @param name how messages name the file's owner, e.g. "The lock /var/x.lock" */
    HandleUsers(String name) {
        this.name = name;
    }

    /** Counts one more user; false once closed for good. */
    boolean retain() {
        while (true) {
            int users = count.get();
            if (users == CLOSED) {
                return false;
            }
            if (count.compareAndSet(users, users + 1)) {
                return true;
            }
        }
    }

    void retainOrRefuse() {
        if (!retain()) {
            throw closedError();
        }
    }

    /** Counts one user fewer; true when it was the last, so the caller should {@link #closeIfUnused}. */
    boolean drop() {
        while (true) {
            int users = count.get();
            if (users <= 0) {
                throw new IllegalStateException(name + " was closed more often than it was opened");
            }
            if (count.compareAndSet(users, users - 1)) {
                return users == 1;
            }
        }
    }

    /**
     * Marks the count closed for good when nobody retained it again meanwhile; call it under the monitor that
     * guards the JVM's map of open instances, so that no open can find the instance in between.
     */
    boolean closeIfUnused() {
        return count.compareAndSet(0, CLOSED);
    }

    boolean isClosed() {
        return count.get() == CLOSED;
    }

    IllegalStateException closedError() {
        return new IllegalStateException(name + " was closed; open it again to use it");
    }
}
