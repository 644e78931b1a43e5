package dev.robustmemory.memory;

/** A compare-and-set store found another version than the expected one; nothing was written. */
public class VersionConflictException extends StoreException {

    private final String key;
    private final long expectedVersion;
    private final long currentVersion;

    public VersionConflictException(String key, long expectedVersion, long currentVersion) {
        super("Version conflict on key '" + key + "': expected version " + expectedVersion + " but the current version is "
              + currentVersion + (currentVersion == 0 ? " (the key does not exist)" : ""));
        this.key = key;
        this.expectedVersion = expectedVersion;
        this.currentVersion = currentVersion;
    }

    public String key() {
        return key;
    }

    public long expectedVersion() {
        return expectedVersion;
    }

    /** The key's version when the store was refused; 0 when the key does not exist. */
    public long currentVersion() {
        return currentVersion;
    }
}
