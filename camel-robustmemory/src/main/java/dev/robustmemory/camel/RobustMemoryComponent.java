package dev.robustmemory.camel;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import dev.robustmemory.lock.LockException;
import dev.robustmemory.store.MemoryStore;
import dev.robustmemory.store.StoreException;
import dev.robustmemory.store.StoreSettings;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable key/value memory in an embedded DuckDB file, shared safely by the routes of many processes on one host:
 * every access runs under a crash-safe cross-process file lock.
 *
 * <p>The component's options are the defaults of its endpoints; endpoint options override them. Endpoints with the
 * same database and file settings share one {@link MemoryStore}, opened when the first of them starts (opening
 * takes the lock once, to check the file and create the tables) and closed when the component stops. Every endpoint
 * of one database must name the same lock file: a second lock file for a database is refused when the endpoint is
 * created, since two lock files for one database would let two writers in at once.
 */
@Component("robustmemory")
public class RobustMemoryComponent extends DefaultComponent {

    private static final Logger LOG = LoggerFactory.getLogger(RobustMemoryComponent.class);

    @Metadata(description = "Default options for every endpoint of this component; endpoint options override them.")
    private RobustMemoryConfiguration configuration = new RobustMemoryConfiguration();

    // Both guarded by "this". Lock files are remembered for the component's life, across stop and start.
    private final Map<Path, Path> lockFileByDatabase = new HashMap<>();
    private final Map<StoreSettings, MemoryStore> openStores = new HashMap<>();

    public RobustMemoryConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(RobustMemoryConfiguration configuration) {
        this.configuration = configuration;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        RobustMemoryEndpoint endpoint = new RobustMemoryEndpoint(uri, this, configuration.copy());
        // "robustmemory?operation=size" has no remaining part at all, "robustmemory:?operation=size" an empty one.
        endpoint.setKey(remaining == null || remaining.isEmpty() ? null : remaining);
        setProperties(endpoint, parameters);
        endpoint.getConfiguration().validate();
        claimLockFile(endpoint.getConfiguration().storeSettings());
        return endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        configuration.validate();
    }

    @Override
    protected synchronized void doStop() throws Exception {
        for (Map.Entry<StoreSettings, MemoryStore> open : openStores.entrySet()) {
            try {
                open.getValue().close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the robustmemory database {} failed: {}", open.getKey().database(), e.getMessage(), e);
            }
        }
        openStores.clear();
        super.doStop();
    }

    /**
     * The store shared by the endpoints with these settings, opened on first use.
     *
     * @throws StoreException when the database cannot be opened (not a DuckDB file, a directory, unwritable)
     * @throws LockException  when the lock file cannot be used (a directory, permissions, network file system)
     */
    synchronized MemoryStore store(StoreSettings settings) throws StoreException, LockException {
        MemoryStore store = openStores.get(settings);
        if (store == null) {
            store = MemoryStore.open(settings);
            openStores.put(settings, store);
        }
        return store;
    }

    /** Remembers the lock file of a database, refusing an endpoint that names another one. */
    private synchronized void claimLockFile(StoreSettings settings) {
        Path earlier = lockFileByDatabase.putIfAbsent(settings.database(), settings.lockFile());
        if (earlier != null && !earlier.equals(settings.lockFile())) {
            throw new IllegalArgumentException("Database " + settings.database() + " is already guarded by lock file "
                                               + earlier + " (another endpoint); this endpoint names lock file "
                                               + settings.lockFile() + ". One database must have one lock file, or two"
                                               + " writers could get in at once.");
        }
    }
}
