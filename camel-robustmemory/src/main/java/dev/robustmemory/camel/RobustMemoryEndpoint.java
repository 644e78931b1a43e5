package dev.robustmemory.camel;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.memory.Memory;
import org.apache.camel.AsyncEndpoint;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.ScheduledPollConsumer;
import org.apache.camel.support.ScheduledPollEndpoint;

/**
 * Reads and writes a durable key/value memory: in an embedded DuckDB file, under a crash-safe lock shared by every
 * process on the host that uses the same database, or in PostgreSQL tables shared by every host. As a consumer,
 * emits the memory's committed changes (consumerType=changes), or polls a DuckDB memory's lock file and reports
 * holders that died holding it, stale holders, corrupt owner records and holders on other hosts.
 */
@ManagedResource(description = "Managed RobustMemoryEndpoint")
@UriEndpoint(firstVersion = "4.22.0", scheme = "robustmemory", title = "Robust Memory", syntax = "robustmemory:key",
             remote = false, category = { Category.CACHE, Category.DATABASE },
             headersClass = RobustMemoryConstants.class)
public class RobustMemoryEndpoint extends ScheduledPollEndpoint implements AsyncEndpoint {

    /**
     * The key to operate on (1 to 1024 characters); the header CamelRobustMemoryKey overrides it. Operations on a
     * single key need one of the two; keys, clear, size and cleanup do not. A consumer ignores it (any name will do).
     */
    @UriPath
    private String key;

    @UriParam
    private RobustMemoryConfiguration configuration;

    /** Resolved from the configuration when first asked for (the data source comes from the registry then). */
    private volatile MemoryLocation location;

    public RobustMemoryEndpoint(String uri, RobustMemoryComponent component, RobustMemoryConfiguration configuration) {
        super(uri, component);
        this.configuration = configuration;
    }

    @Override
    public RobustMemoryComponent getComponent() {
        return (RobustMemoryComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        return new RobustMemoryProducer(this);
    }

    /**
     * The orphan-cleanup consumer, or with consumerType=changes the changes consumer: Camel's scheduled polling
     * options (delay, initialDelay, greedy, backoff...) apply to both.
     */
    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        if (configuration.getConsumerType() == RobustMemoryConsumerType.lockEvents
                && !(location() instanceof MemoryLocation.DuckDb)) {
            throw new IllegalArgumentException("consumerType=lockEvents inspects the lock files of the duckdb backend;"
                                               + " a memory on PostgreSQL has none (its consumer is"
                                               + " consumerType=changes)");
        }
        ScheduledPollConsumer consumer = configuration.getConsumerType() == RobustMemoryConsumerType.changes
                                         ? new RobustMemoryChangeConsumer(this, processor)
                                         : new RobustMemoryConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @ManagedAttribute(description = "The key to operate on; the header CamelRobustMemoryKey overrides it")
    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    public RobustMemoryConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(RobustMemoryConfiguration configuration) {
        this.configuration = configuration;
    }

    // The options as JMX attributes, read-only as Camel's endpoints show theirs: an endpoint's options are fixed once
    // it is created. The lock timeout that can change at run time is the memory's (ManagedMemory).

    @ManagedAttribute(description = "The default operation")
    public String getOperation() {
        return configuration.getOperation().name();
    }

    @ManagedAttribute(description = "Where the memory lives: duckdb or postgresql")
    public String getBackend() {
        return configuration.getBackend().name();
    }

    @ManagedAttribute(description = "The memory: the path of the DuckDB database file, or postgresql:<table prefix>")
    public String getDatabase() {
        return location().displayName();
    }

    @ManagedAttribute(description = "Path of the lock file that guards the DuckDB database; empty on PostgreSQL")
    public String getLockFile() {
        return location() instanceof MemoryLocation.DuckDb duckDb ? duckDb.settings().lockFile().toString() : null;
    }

    @ManagedAttribute(description = "How long an operation waits for the lock, as given in the URI")
    public String getLockTimeout() {
        return configuration.getLockTimeout();
    }

    @ManagedAttribute(description = "Whether the consumer and the cleanup operation repair what they find")
    public boolean isCleanupOrphaned() {
        return configuration.isCleanupOrphaned();
    }

    @ManagedAttribute(description = "How long a live holder may keep the lock before it is reported as stale")
    public String getStaleLockThreshold() {
        return configuration.getStaleLockThreshold();
    }

    @ManagedAttribute(description = "Whether lock waits, holds, acquisitions, timeouts and failures are recorded")
    public boolean isMonitorLocks() {
        return configuration.isMonitorLocks();
    }

    @ManagedAttribute(description = "Whether the calling thread runs each operation and waits for its outcome")
    public boolean isSynchronous() {
        return configuration.isSynchronous();
    }

    @ManagedAttribute(description = "Directory whose robustmemory lock files the consumer also inspects")
    public String getLockDirectory() {
        return configuration.getLockDirectory();
    }

    @ManagedAttribute(description = "The largest value accepted, in bytes")
    public long getMaxValueSize() {
        return configuration.getMaxValueSize();
    }

    @ManagedAttribute(description = "Permissions of the database and lock files this process creates")
    public String getFilePermissions() {
        return configuration.getFilePermissions();
    }

    @ManagedAttribute(description = "Whether a lock file on a network or FUSE file system is accepted")
    public boolean isAllowNetworkFileSystem() {
        return configuration.isAllowNetworkFileSystem();
    }

    /**
     * Where this endpoint's memory lives.
     *
     * @throws IllegalArgumentException for an invalid option, or a PostgreSQL memory without a data source
     */
    MemoryLocation location() {
        MemoryLocation resolved = location;
        if (resolved == null) {
            resolved = configuration.memoryLocation(getCamelContext());
            location = resolved;
        }
        return resolved;
    }

    /** The memory shared by the endpoints of the same location, opened when first needed. */
    Memory memory() throws Exception {
        return getComponent().memory(location());
    }

    /** The statistics to record into when monitorLocks is set; null otherwise, so that nothing is recorded. */
    LockStatistics statisticsIfMonitored(Memory memory) {
        return configuration.isMonitorLocks() ? getComponent().monitoredStatistics(location(), memory) : null;
    }

    /** An inspection of this endpoint's lock file (and lock directory) with its options; null on PostgreSQL. */
    LockInspector inspector(Memory memory) {
        return memory instanceof DuckDbMemory store ? new LockInspector(getComponent(), store.lock(), configuration)
                                                     : null;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        // Open now, so that a database path or lock file that cannot be used fails the route at start-up. Opening
        // takes no lock and opens no database: a memory busy in other processes never holds a route's start up,
        // and a file that is not a DuckDB database fails the first message that uses it. With lazyStartProducer the
        // user asked for such failures to reach the first message instead: its producer opens the memory then (a
        // consumer opens it when it starts).
        if (!isLazyStartProducer()) {
            memory();
        }
    }
}
