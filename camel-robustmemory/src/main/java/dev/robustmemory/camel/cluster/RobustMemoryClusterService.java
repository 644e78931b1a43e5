package dev.robustmemory.camel.cluster;

import java.nio.file.Path;

import dev.robustmemory.camel.RobustMemoryComponent;
import dev.robustmemory.camel.RobustMemoryConfiguration;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.NamedLocks;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.cluster.AbstractCamelClusterService;

/**
 * Leader election among the processes of one host on a robustmemory's named locks: a process leads a namespace
 * while it holds the named lock {@code cluster:<namespace>} of the memory's names lock file
 * ({@code <database>.names.lock}). Register it with {@code context.addService(service)} (Camel Main and YAML
 * {@code beans:} register a bean of this type as a service), and run a route only on the leader with camel-cluster's
 * {@code ClusteredRoutePolicy} or {@code ClusteredRoutePolicyFactory}.
 *
 * <p><b>What it guarantees.</b> Never two leaders of a namespace: a process leads only while its grant of the name is
 * held, and the kernel's {@code fcntl} record lock lets one process hold it; threads of one JVM (two services in one
 * context, say) queue for it as well. A leader killed with {@code kill -9} frees the name at once and a waiting process
 * leads within milliseconds; no heartbeat, no polling period and no clock decide it. A leader that steps down (its
 * view or service stops, its context shuts down) stops its clustered routes before it lets the name go.
 *
 * <p><b>What it does not guarantee.</b> One host only, like the memory: processes on other hosts do not see each
 * other's record locks. A leader that is paused (SIGSTOP, a long GC pause, a suspended virtual machine) keeps the
 * lock, because the kernel does not drop it, so nobody else leads meanwhile, and it still leads when it resumes.
 * Replacing or deleting the names file by hand splits the processes across two files: do not. Members other than
 * the local one are not known (see {@link RobustMemoryClusterView}).
 */
@Metadata(label = "bean", title = "Robust Memory Cluster Service",
          description = "Leader election among the processes of one host on the named locks of a robustmemory"
                        + " database: a process leads a namespace while it holds the named lock cluster:<namespace>.",
          annotations = { "interfaceName=org.apache.camel.cluster.CamelClusterService" })
public class RobustMemoryClusterService extends AbstractCamelClusterService<RobustMemoryClusterView> {

    /** The name of the component whose configuration gives the default database and the file settings. */
    public static final String COMPONENT_NAME = "robustmemory";

    @Metadata(description = "Path of the memory's DuckDB database file, relative to the working directory unless"
                            + " absolute; the names lock file <database>.names.lock beside it is what the processes"
                            + " lock. Default: the database of the robustmemory component.")
    private String database;

    // Resolved when the service starts, read by the views as they start.
    private volatile Path namesFile;
    private volatile LockFileSettings lockFileSettings;

    public RobustMemoryClusterService() {
    }

    /** A service on the names lock file of the memory {@code database}. */
    public RobustMemoryClusterService(String database) {
        setDatabase(database);
    }

    public String getDatabase() {
        return database;
    }

    /**
     * Path of the memory's DuckDB database file, relative to the working directory unless absolute; the names lock
     * file {@code <database>.names.lock} beside it is what the processes lock. Default: the database of the
     * {@code robustmemory} component. Every process that elects a leader together must name the same database.
     */
    public void setDatabase(String database) {
        this.database = database;
    }

    /** The names lock file in use; null before the service starts. */
    public Path getNamesFile() {
        return namesFile;
    }

    @Override
    protected RobustMemoryClusterView createView(String namespace) {
        return new RobustMemoryClusterView(this, namespace);
    }

    @Override
    protected void doStart() throws Exception {
        if (getId() == null) {
            setId("robustmemory-" + ProcessHandle.current().pid());
        }
        // The component's file settings apply to the names file as to the memory's own files.
        RobustMemoryConfiguration configuration = getCamelContext()
                .getComponent(COMPONENT_NAME, RobustMemoryComponent.class).getConfiguration().copy();
        if (database != null) {
            configuration.setDatabase(database);
        }
        StoreSettings settings = configuration.storeSettings();
        namesFile = NamedLocks.fileFor(settings.database());
        lockFileSettings = settings.lockFileSettings();
        super.doStart();
    }

    LockFileSettings lockFileSettings() {
        return lockFileSettings;
    }
}
