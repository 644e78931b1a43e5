package dev.robustmemory.memory;

import java.io.IOException;

/** The database could not be opened, read or written (not a DuckDB file, a directory, I/O or SQL failure). */
public class StoreException extends IOException {

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
