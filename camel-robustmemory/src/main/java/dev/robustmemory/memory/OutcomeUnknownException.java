package dev.robustmemory.memory;

/**
 * The work may or may not have been written: the memory failed while making it durable (a PostgreSQL connection
 * broken during the commit, say), so the caller cannot tell. A retry must be one that is right either way (a
 * compare-and-set, a read first).
 */
public class OutcomeUnknownException extends StoreException {

    public OutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
