package dev.robustmemory.camel.cluster;

import java.nio.file.Path;

import dev.robustmemory.camel.RobustMemoryBackend;
import dev.robustmemory.camel.RobustMemoryComponent;
import dev.robustmemory.camel.RobustMemoryConfiguration;
import dev.robustmemory.duckdb.lock.NamedLocks;
import dev.robustmemory.memory.NamedLockService;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.cluster.AbstractCamelClusterService;

/**
 * Leader election on a robustmemory's named locks: a process leads a namespace while it holds the named lock
 * {@code cluster:<namespace>} of the memory, among the processes of one host on DuckDB (the names lock file
 * {@code <database>.names.lock}), among those of every host on PostgreSQL (the component's {@code backend}, the locks
 * table, grants leased for {@link #setLease lease} and renewed while leading). Register it with {@code context.addService(service)} (Camel Main and YAML
 * {@code beans:} register a bean of this type as a service), and run a route only on the leader with camel-cluster's
 * {@code ClusteredRoutePolicy} or {@code ClusteredRoutePolicyFactory}.
 *
 * <p><b>What it guarantees.</b> Never two leaders of a namespace: a process leads only while its grant of the name is
 * held, and the kernel's {@code fcntl} record lock lets one process hold it; threads of one JVM (two services in one
 * context, say) queue for it as well. A leader killed with {@code kill -9} frees the name at once and a waiting process
 * leads within milliseconds; no heartbeat, no polling period and no clock decide it. A leader that steps down (its
 * view or service stops, its context shuts down) stops its clustered routes before it lets the name go.
 *
 * <p><b>What it does not guarantee.</b> On DuckDB, one host only, like the memory: processes on other hosts do not
 * see each other's record locks; a leader that is paused (SIGSTOP, a long GC pause, a suspended virtual machine) keeps
 * the lock, because the kernel does not drop it, so nobody else leads meanwhile, and it still leads when it resumes.
 * Replacing or deleting the names file by hand splits the processes across two files: do not. On PostgreSQL a paused
 * leader loses the name when its lease ends and another process leads; until the paused one runs again and sees its
 * grant gone (within {@link RobustMemoryClusterView#GRANT_CHECK_INTERVAL}) it may still believe it leads, which is
 * why writes should carry the view's {@link RobustMemoryClusterView#getFencingToken() fencing token}. Members other
 * than the local one are not known (see {@link RobustMemoryClusterView}).
 */
@Metadata(label = "bean", title = "Robust Memory Cluster Service",
          description = "Leader election on the named locks of a robustmemory memory, among the processes of one"
                        + " host (DuckDB) or of every host (PostgreSQL): a process leads a namespace while it holds"
                        + " the named lock cluster:<namespace>.",
          annotations = { "interfaceName=org.apache.camel.cluster.CamelClusterService" })
public class RobustMemoryClusterService extends AbstractCamelClusterService<RobustMemoryClusterView> {

    /** The name of the component whose configuration gives the default database and the file settings. */
    public static final String COMPONENT_NAME = "robustmemory";

    @Metadata(description = "Path of the memory's DuckDB database file, relative to the working directory unless"
                            + " absolute; the names lock file <database>.names.lock beside it is what the processes"
                            + " lock. Default: the database of the robustmemory component.")
    private String database;

    @Metadata(description = "PostgreSQL backend: the prefix of the memory's tables, whose locks table the processes"
                            + " of every host lock. Default: the robustmemory component's tablePrefix.")
    private String tablePrefix;

    @Metadata(javaType = "java.time.Duration", defaultValue = "15s",
              description = "PostgreSQL backend: how long a leader's grant lasts unless renewed, e.g. 15s. A leader"
                            + " that stops renewing (paused, cut off, killed) stops leading when its lease ends, and"
                            + " another process leads after it. Unused on DuckDB.")
    private String lease = "15s";

    // Resolved when the service starts, read by the views as they start.
    private volatile RobustMemoryConfiguration memory;
    private volatile Path namesFile;

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

    public String getTablePrefix() {
        return tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
        this.tablePrefix = tablePrefix;
    }

    public String getLease() {
        return lease;
    }

    public void setLease(String lease) {
        this.lease = lease;
    }

    /** The names lock file in use on DuckDB; null on PostgreSQL and before the service starts. */
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
        if (tablePrefix != null) {
            configuration.setTablePrefix(tablePrefix);
        }
        configuration.validate();
        namesFile = configuration.getBackend() == RobustMemoryBackend.duckdb
                ? NamedLocks.fileFor(configuration.storeSettings().database()) : null;
        memory = configuration;
        super.doStart();
    }

    /** Opens the memory's named locks for a view. */
    NamedLockService openNamedLocks() throws Exception {
        return memory.openNamedLocks(getCamelContext(), lease, "cluster service option lease");
    }
}
