package dev.robustmemory.memory;

/** A key or value the store refuses before taking the lock: empty, too long, too large. */
public class InvalidEntryException extends IllegalArgumentException {

    public InvalidEntryException(String message) {
        super(message);
    }
}
