package dev.robustmemory.memory;

import java.io.IOException;
import java.time.Duration;

/**
 * The named locks of a memory: critical sections that exclude each other across every process sharing the memory
 * (on DuckDB, of one host; on PostgreSQL, of every host), each grant with a fencing token that the memory's writes
 * can be fenced by ({@link MemorySession#requireNewestGrant}).
 */
public interface NamedLockService extends AutoCloseable {

    /**
     * Waits up to {@code timeout} for the name; zero tries once without waiting. Whatever this throws, nothing is held
     * afterwards.
     *
     * @throws NamedLockTimeoutException when the name stayed held by another holder
     * @throws IOException               when the backend failed (file, database)
     * @throws InterruptedException      when the waiting thread is interrupted
     * @throws IllegalArgumentException  for an invalid name ({@link #checkName}) or a negative timeout
     */
    NamedLockHold acquire(String name, Duration timeout) throws IOException, InterruptedException;

    /**
     * The newest token granted for the name, by any holder, as the backend knows it now, without waiting for the
     * name; 0 when it was never granted. A write fenced with an older token comes from a superseded holder.
     *
     * @throws IOException when the backend cannot be read
     */
    long newestToken(String name) throws IOException;

    /** @throws IllegalArgumentException for a name this service refuses (empty, too long, not encodable) */
    void checkName(String name);

    /** This JVM's totals since the service was opened. */
    NamedLockStatistics statistics();

    /** Lets this instance go; grants still held stay valid until released. */
    @Override
    void close();
}
