package dev.robustmemory.camel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.VersionConflictException;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.StateRepository;

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
          description = "State repository in a robustmemory memory, shared by every process that uses the same memory"
                        + " (a DuckDB file on one host, or PostgreSQL tables); states survive crashes and restarts.")
public class RobustMemoryStateRepository extends RepositoryBeanSupport implements StateRepository<String, String> {

    /** The namespace of the repositories' keys in the memory. */
    public static final String KEY_NAMESPACE = "state/";

    @Metadata(description = "The repository's name: its states are the keys state/<name>/<key>. Repositories that"
                            + " must see the same states use the same name and database.", defaultValue = "default")
    private String name = "default";

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
        setState(key, value, null);
    }

    /**
     * Sets the state of the key, to live for {@code timeToLive} (null: for ever; see the README's Expiry); a null
     * state removes it.
     *
     * @throws IllegalArgumentException for a time to live that is not positive; nothing is written
     */
    public void setState(String key, String value, Duration timeToLive) {
        if (value == null) {
            remove(key);
            return;
        }
        String stateKey = stateKey(key);
        StoredValue state = StoredValue.text(value);
        memory.execute("set the state of '" + key + "'",
                session -> session.store(stateKey, state, OptionalLong.empty(), timeToLive));
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
        return putIfAbsent(key, value, null);
    }

    /**
     * As {@link #putIfAbsent(String, String)}, the state set living for {@code timeToLive} (null: for ever); an
     * expired state counts as absent.
     */
    public String putIfAbsent(String key, String value, Duration timeToLive) {
        String stateKey = stateKey(key);
        StoredValue state = StoredValue.text(requireValue(value));
        Optional<MemoryEntry> existing = memory.execute("set the state of '" + key + "' if absent", session -> {
            try {
                session.store(stateKey, state, OptionalLong.of(0), timeToLive); // version 0: must not exist
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
        memory.open("name", name, memoryOptions(), getCamelContext());
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

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

}
