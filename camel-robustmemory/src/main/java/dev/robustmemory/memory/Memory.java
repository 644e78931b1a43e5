package dev.robustmemory.memory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A durable key/value memory that runs works ({@link MemoryWork}), each atomically and in isolation from every other
 * work of every process that shares the memory: the backend-neutral face of the backends below it: {@code dev.robustmemory.duckdb.DuckDbMemory}
 * (embedded DuckDB under a file lock, one host) and {@code dev.robustmemory.postgresql.PostgresMemory} (PostgreSQL,
 * many hosts).
 */
public interface Memory extends AutoCloseable {

    /**
     * Runs the work with exclusive use of the memory, in one transaction: commits when it returns, rolls back when
     * it throws, and returns only after the commit.
     *
     * @param lockTimeout how long to wait, in all, for exclusive use; zero tries once
     * @throws StoreException       when the work threw it (nothing was written) or the memory failed
     * @throws IOException          when the memory could not be reached or its exclusion could not be had in time
     * @throws InterruptedException when interrupted while waiting; nothing was written
     */
    <T> Outcome<T> execute(Duration lockTimeout, MemoryWork<T> work) throws IOException, InterruptedException;

    /**
     * As {@link #execute}, without a thread of the caller's waiting; the stage is completed by a task on
     * {@code completions}, with the outcome or with what {@code execute} would have thrown.
     */
    <T> CompletionStage<Outcome<T>> executeAsync(Duration lockTimeout, MemoryWork<T> work, Executor completions);

    /** @throws InvalidEntryException for a key this memory refuses */
    void checkKey(String key);

    /** @throws InvalidEntryException for a value this memory refuses */
    void checkValue(StoredValue value);

    /** Lets this instance go; work running now finishes. */
    @Override
    void close();
}
