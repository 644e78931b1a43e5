package dev.robustmemory.duckdb;

import dev.robustmemory.memory.StoreException;

/**
 * The journal was deleted, or replaced by another file, while a process used it: what was just synced into it went
 * into a file that nobody reads, so it was not acknowledged.
 */
final class JournalGoneException extends StoreException {

    JournalGoneException(String message) {
        super(message);
    }
}
