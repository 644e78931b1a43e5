package dev.robustmemory.camel;

import javax.sql.DataSource;

import dev.robustmemory.duckdb.lock.LockFileSettings;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The options every repository bean on the memory has (idempotent, aggregation, state), declared once: where the
 * memory is, and how its files are locked and created. Parsed and validated as the endpoint's options of the same
 * names ({@link RepositoryMemory}). The Camel context, injected when the bean is in a context's registry, is where a
 * PostgreSQL data source is autowired from.
 */
public abstract class RepositoryBeanSupport extends ServiceSupport implements CamelContextAware {

    @Metadata(description = "Where the memory lives: duckdb (an embedded file, the default) or postgresql (the"
                            + " dataSource option).", defaultValue = "duckdb",
              enums = "duckdb,postgresql")
    private RobustMemoryBackend backend = RobustMemoryBackend.duckdb;

    @Metadata(description = "PostgreSQL backend: the database. Default: the only DataSource in the registry.")
    private DataSource dataSource;

    @Metadata(description = "PostgreSQL backend: the prefix of the memory's tables.", defaultValue = "robustmemory_")
    private String tablePrefix = "robustmemory_";

    @Metadata(description = "Path of the DuckDB database file, relative to the working directory unless absolute.",
              defaultValue = "robustmemory.duckdb")
    private String database = "robustmemory.duckdb";

    @Metadata(description = "Path of the lock file that guards the database; default: the database path plus .lock.")
    private String lockFile;

    @Metadata(description = "How long each call waits for the lock, e.g. 10s, 500ms or PT10S.", defaultValue = "5s",
              javaType = "java.time.Duration")
    private String lockTimeout = "5s";

    @Metadata(description = "Permissions of the database and lock files this process creates.",
              defaultValue = LockFileSettings.DEFAULT_PERMISSIONS)
    private String filePermissions = LockFileSettings.DEFAULT_PERMISSIONS;

    @Metadata(description = "Whether to accept a lock file on a network or FUSE file system, where record locks can"
                            + " be granted to two processes at once.", defaultValue = "false")
    private boolean allowNetworkFileSystem;

    private CamelContext camelContext;

    /** These options as the endpoint's configuration, which parses and validates them. */
    RobustMemoryConfiguration memoryOptions() {
        RobustMemoryConfiguration options = new RobustMemoryConfiguration();
        options.setBackend(backend);
        options.setDataSource(dataSource);
        options.setTablePrefix(tablePrefix);
        options.setDatabase(database);
        options.setLockFile(lockFile);
        options.setLockTimeout(lockTimeout);
        options.setFilePermissions(filePermissions);
        options.setAllowNetworkFileSystem(allowNetworkFileSystem);
        return options;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @ManagedAttribute(description = "Where the memory lives: duckdb or postgresql")
    public RobustMemoryBackend getBackend() {
        return backend;
    }

    public void setBackend(RobustMemoryBackend backend) {
        this.backend = backend;
    }

    public DataSource getDataSource() {
        return dataSource;
    }

    public void setDataSource(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @ManagedAttribute(description = "PostgreSQL backend: the prefix of the memory's tables")
    public String getTablePrefix() {
        return tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
        this.tablePrefix = tablePrefix;
    }

    @ManagedAttribute(description = "Path of the DuckDB database file")
    public String getDatabase() {
        return database;
    }

    public void setDatabase(String database) {
        this.database = database;
    }

    @ManagedAttribute(description = "Path of the lock file; empty: the database path plus .lock")
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
