package dev.robustmemory.camel;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.lock.LockException;
import dev.robustmemory.memory.StoreException;
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
 * Reads and writes a durable key/value memory in an embedded DuckDB file, under a crash-safe lock shared by every
 * process on the host that uses the same database. As a consumer, polls the memory's lock file and reports holders
 * that died holding it, stale holders, corrupt owner records and holders on other hosts.
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

    @ManagedAttribute(description = "Path of the DuckDB database file")
    public String getDatabase() {
        return configuration.storeSettings().database().toString();
    }

    @ManagedAttribute(description = "Path of the lock file that guards the database")
    public String getLockFile() {
        return configuration.storeSettings().lockFile().toString();
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

    /** The store shared by the endpoints with the same settings, opened when first needed. */
    DuckDbMemory store() throws StoreException, LockException {
        return getComponent().store(configuration.storeSettings());
    }

    /** The statistics to record into when monitorLocks is set; null otherwise, so that nothing is recorded. */
    LockStatistics statisticsIfMonitored(DuckDbMemory store) {
        return configuration.isMonitorLocks() ? getComponent().monitoredStatistics(store) : null;
    }

    /** An inspection of this endpoint's lock file (and lock directory) with its options. */
    LockInspector inspector(DuckDbMemory store) {
        return new LockInspector(getComponent(), store.lock(), configuration);
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
            store();
        }
    }
}
