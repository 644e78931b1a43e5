package dev.robustmemory.camel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
 * <p>The component's options are the defaults of its endpoints; endpoint options override them. All endpoints that
 * name one database share one {@link MemoryStore}, opened when the first of them starts and closed when the
 * component stops. They must agree on how that database is guarded: two endpoints naming the same database with a
 * different lock file (or different file permissions, value size limit or network file system policy) are refused
 * when the second endpoint is created, since two lock files for one database would let two writers in.
 */
@Component("robustmemory")
public class RobustMemoryComponent extends DefaultComponent {

    private static final Logger LOG = LoggerFactory.getLogger(RobustMemoryComponent.class);

    @Metadata(description = "Default options for every endpoint of this component; endpoint options override them.")
    private RobustMemoryConfiguration configuration = new RobustMemoryConfiguration();

    // Keyed by the absolute database path; both guarded by "this".
    private final Map<Path, StoreSettings> settingsByDatabase = new HashMap<>();
    private final Map<Path, MemoryStore> openStores = new HashMap<>();

    public RobustMemoryConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(RobustMemoryConfiguration configuration) {
        this.configuration = configuration;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        RobustMemoryEndpoint endpoint = new RobustMemoryEndpoint(uri, this, configuration.copy());
        endpoint.setKey(remaining.isEmpty() ? null : remaining);
        setProperties(endpoint, parameters);
        endpoint.getConfiguration().validate();
        claim(endpoint.getConfiguration().storeSettings());
        return endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        configuration.validate();
    }

    @Override
    protected synchronized void doStop() throws Exception {
        for (Map.Entry<Path, MemoryStore> open : openStores.entrySet()) {
            try {
                open.getValue().close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the robustmemory database {} failed: {}", open.getKey(), e.getMessage(), e);
            }
        }
        openStores.clear();
        super.doStop();
    }

    /**
     * The shared store of a database, opened on first use.
     *
     * @throws StoreException when the database cannot be opened (not a DuckDB file, a directory, unwritable)
     * @throws LockException  when the lock file cannot be used (a directory, permissions, network file system)
     */
    synchronized MemoryStore store(StoreSettings settings) throws StoreException, LockException {
        MemoryStore store = openStores.get(settings.database());
        if (store == null) {
            store = MemoryStore.open(settings);
            openStores.put(settings.database(), store);
        }
        return store;
    }

    /** Records how a database is guarded, refusing an endpoint that would guard it differently. */
    private synchronized void claim(StoreSettings settings) {
        StoreSettings earlier = settingsByDatabase.putIfAbsent(settings.database(), settings);
        if (earlier == null || earlier.equals(settings)) {
            return;
        }
        if (!earlier.lockFile().equals(settings.lockFile())) {
            throw new IllegalArgumentException("Database " + settings.database() + " is already guarded by lock file "
                                               + earlier.lockFile() + " (another endpoint); this endpoint names lock file "
                                               + settings.lockFile() + ". One database must have one lock file, or two"
                                               + " writers could get in at once.");
        }
        throw new IllegalArgumentException("Database " + settings.database() + " is already used by another endpoint"
                                           + " with different " + String.join(", ", differences(earlier, settings))
                                           + "; endpoints sharing a database must agree (set these options on the"
                                           + " component)");
    }

    private static List<String> differences(StoreSettings earlier, StoreSettings later) {
        List<String> names = new ArrayList<>();
        if (earlier.maxValueSize() != later.maxValueSize()) {
            names.add("maxValueSize (" + earlier.maxValueSize() + " vs " + later.maxValueSize() + ")");
        }
        if (!earlier.lockFileSettings().filePermissions().equals(later.lockFileSettings().filePermissions())) {
            names.add("filePermissions");
        }
        if (earlier.lockFileSettings().allowNetworkFileSystem() != later.lockFileSettings().allowNetworkFileSystem()) {
            names.add("allowNetworkFileSystem");
        }
        return names;
    }
}
