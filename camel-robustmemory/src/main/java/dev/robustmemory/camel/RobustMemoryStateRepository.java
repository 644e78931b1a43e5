package dev.robustmemory.camel;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import dev.robustmemory.lock.LockFileSettings;
import dev.robustmemory.store.MemoryEntry;
import dev.robustmemory.store.MemoryWork;
import dev.robustmemory.store.StoredValue;
import dev.robustmemory.store.VersionConflictException;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.StateRepository;
import org.apache.camel.support.service.ServiceSupport;

/**
 * A Camel {@link StateRepository} kept in a robustmemory database, for the components that remember where they got
 * to (a Kafka consumer's offsets, a file consumer's position, ...): every process on the host that uses the same
 * database and repository name sees the same state, and a state that was set survives {@code kill -9} and restarts.
 *
 * <p>States are the keys {@code state/<name>/<key>} with text values. Besides Camel's {@link #setState} and
 * {@link #getState}, the repository offers {@link #putIfAbsent}, {@link #remove} and {@link #keys}: the operations
 * of a key/value store (get, put, put if absent, delete, keys), each one atomic across processes, so that an adapter
 * to another key/value SPI is a thin class. Entries do not expire.
 *
 * <p>Configure it with the bean properties ({@code database}, {@code lockFile}, {@code lockTimeout}, {@code name},
 * {@code filePermissions}, {@code allowNetworkFileSystem}) before it starts; they mean what the robustmemory
 * endpoint options of the same names mean. A call that cannot get the lock within {@code lockTimeout} throws a
 * {@link org.apache.camel.RuntimeCamelException}.
 */
@Metadata(label = "bean", title = "Robust Memory State Repository",
          description = "State repository in a robustmemory DuckDB file, shared by every process on the host that uses"
                        + " the same database; states survive crashes and restarts.")
public class RobustMemoryStateRepository extends ServiceSupport implements StateRepository<String, String> {

    /** The namespace of the repositories' keys in the memory. */
    public static final String KEY_NAMESPACE = "state/";

    @Metadata(description = "Path of the DuckDB database file, relative to the working directory unless absolute.",
              defaultValue = "robustmemory.duckdb")
    private String database = "robustmemory.duckdb";

    @Metadata(description = "Path of the lock file that guards the database; default: the database path plus .lock.")
    private String lockFile;

    @Metadata(description = "How long each call waits for the lock, e.g. 10s, 500ms or PT10S.", defaultValue = "5s",
              javaType = "java.time.Duration")
    private String lockTimeout = "5s";

    @Metadata(description = "The repository's name: its states are the keys state/<name>/<key>. Repositories that"
                            + " must see the same states use the same name and database.", defaultValue = "default")
    private String name = "default";

    @Metadata(description = "Permissions of the database and lock files this process creates.",
              defaultValue = LockFileSettings.DEFAULT_PERMISSIONS)
    private String filePermissions = LockFileSettings.DEFAULT_PERMISSIONS;

    @Metadata(description = "Whether to accept a lock file on a network or FUSE file system, where record locks can"
                            + " be granted to two processes at once.", defaultValue = "false")
    private boolean allowNetworkFileSystem;

    private final RepositoryMemory memory = new RepositoryMemory("state repository");

    public RobustMemoryStateRepository() {
    }

    /** A repository named {@code name} in the database file {@code database}. */
    public RobustMemoryStateRepository(String database, String name) {
        setDatabase(database);
        setName(name);
    }

    /** Sets the state of the key; a null state removes it. */
    @Override
    public void setState(String key, String value) {
        if (value == null) {
            remove(key);
            return;
        }
        String stateKey = stateKey(key);
        StoredValue state = StoredValue.text(value);
        memory.execute("set the state of '" + key + "'",
                session -> session.store(stateKey, state, OptionalLong.empty()));
    }

    /** The state of the key, or null when none was set. */
    @Override
    public String getState(String key) {
        String stateKey = stateKey(key);
        return memory.execute("read the state of '" + key + "'", MemoryWork.reading(session -> session.load(stateKey)))
                .map(entry -> entry.value().text()).orElse(null);
    }

    /**
     * Sets the state only if the key has none, atomically across processes: of several processes racing, one wins.
     *
     * @return the state the key already had (nothing was written), or null when this value was set
     */
    public String putIfAbsent(String key, String value) {
        String stateKey = stateKey(key);
        StoredValue state = StoredValue.text(requireValue(value));
        Optional<MemoryEntry> existing = memory.execute("set the state of '" + key + "' if absent", session -> {
            try {
                session.store(stateKey, state, OptionalLong.of(0)); // version 0: the key must not exist
                return Optional.empty();
            } catch (VersionConflictException present) {
                return session.load(stateKey);
            }
        });
        return existing.map(entry -> entry.value().text()).orElse(null);
    }

    /** Removes the state of the key. @return whether it had one */
    public boolean remove(String key) {
        String stateKey = stateKey(key);
        return memory.execute("remove the state of '" + key + "'", session -> session.delete(stateKey));
    }

    /** The keys that have a state, in ascending order. */
    public List<String> keys() {
        String prefix = keyPrefix();
        return memory.execute("list the keys", session -> {
            List<String> keys = new ArrayList<>();
            for (String stateKey : session.keys(prefix)) {
                keys.add(stateKey.substring(prefix.length()));
            }
            return keys;
        });
    }

    /** The prefix of this repository's keys, {@code state/<name>/}. */
    public String keyPrefix() {
        return KEY_NAMESPACE + name + "/";
    }

    @Override
    protected void doStart() throws Exception {
        RobustMemoryConfiguration options = RepositoryMemory.options(database, lockFile, lockTimeout, filePermissions,
                allowNetworkFileSystem);
        memory.open("name", name, options);
    }

    @Override
    protected void doStop() {
        memory.close();
    }

    private String stateKey(String key) {
        if (key == null) {
            throw new IllegalArgumentException("The state's key must not be null");
        }
        return keyPrefix() + key;
    }

    private static String requireValue(String value) {
        if (value == null) {
            throw new IllegalArgumentException("The state must not be null");
        }
        return value;
    }

    public String getDatabase() {
        return database;
    }

    public void setDatabase(String database) {
        this.database = database;
    }

    public String getLockFile() {
        return lockFile;
    }

    public void setLockFile(String lockFile) {
        this.lockFile = lockFile;
    }

    public String getLockTimeout() {
        return lockTimeout;
    }

    public void setLockTimeout(String lockTimeout) {
        this.lockTimeout = lockTimeout;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getFilePermissions() {
        return filePermissions;
    }

    public void setFilePermissions(String filePermissions) {
        this.filePermissions = filePermissions;
    }

    public boolean isAllowNetworkFileSystem() {
        return allowNetworkFileSystem;
    }

    public void setAllowNetworkFileSystem(boolean allowNetworkFileSystem) {
        this.allowNetworkFileSystem = allowNetworkFileSystem;
    }
}
