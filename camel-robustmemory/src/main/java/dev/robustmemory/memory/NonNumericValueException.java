package dev.robustmemory.memory;

/** An increment found a value that is not a JSON integer; the value was left unchanged. */
public class NonNumericValueException extends StoreException {

    public NonNumericValueException(String key, StoredValue current) {
        super("Cannot increment key '" + key + "': its value is not a JSON integer (" + current + ")");
    }
}
