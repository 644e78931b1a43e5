package dev.robustmemory.duckdb;

import dev.robustmemory.memory.StoreException;

/**
 * Another program holds the DuckDB database file open without the robustmemory lock (DuckDB lets one process at a
 * time open a file for writing), for the whole of the caller's timeout. Nothing was written.
 */
public class DatabaseHeldException extends StoreException {

    public DatabaseHeldException(String message) {
        super(message);
    }

    public DatabaseHeldException(String message, Throwable cause) {
        super(message, cause);
    }
}
