package dev.robustmemory.camel.springboot;

import javax.sql.DataSource;

import dev.robustmemory.camel.RobustMemoryBackend;
import dev.robustmemory.camel.RobustMemoryConfiguration;
import dev.robustmemory.camel.RobustMemoryConsumerType;
import dev.robustmemory.camel.RobustMemoryOperation;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.spring.boot.ComponentConfigurationPropertiesCommon;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The robustmemory component's options as Spring Boot properties, {@code camel.component.robustmemory.*}: the
 * defaults of every robustmemory endpoint, which endpoint options override.
 *
 * <p>Each property mirrors the component option of the same name (in the component's generated metadata,
 * {@code robustmemory.json}); {@code RobustMemoryComponentOptionsTest} fails when the two drift apart. Only the
 * properties that are set reach the component, through its own configurer when Camel creates it, so the component
 * keeps its defaults (the IDE learns them from {@code additional-spring-configuration-metadata.json}) and checks the
 * values as it checks URI options: durations stay the text written here and are parsed strictly by the component,
 * and a malformed one fails the start of the application with a message naming the option and the value.
 */
@ConfigurationProperties(prefix = "camel.component.robustmemory")
public class RobustMemoryComponentConfiguration extends ComponentConfigurationPropertiesCommon {

    /**
     * Where the memory lives: duckdb, an embedded file shared by the processes of one host (the default), or
     * postgresql, tables in the PostgreSQL database of the data-source property, shared by every host.
     */
    private RobustMemoryBackend backend;

    /**
     * PostgreSQL backend: the database, as a bean reference (#name). When not set: the only DataSource bean (the
     * one Spring Boot makes from spring.datasource.*, typically).
     */
    private DataSource dataSource;

    /**
     * PostgreSQL backend: the text before the names of the memory's tables (entries, meta, changes, locks); lower-case
     * letters, digits and '_'.
     */
    private String tablePrefix;

    /**
     * Path of the DuckDB database file, relative to the working directory unless absolute. Parent directories are
     * created; a file that is not a DuckDB database is an error and is never overwritten. ':memory:' is refused.
     */
    private String database;

    /**
     * Path of the lock file that guards the database (default: the database path plus '.lock'). Never the database
     * file itself. Every process sharing a database must name the same lock file; it is never deleted.
     */
    private String lockFile;

    /**
     * How long an operation waits for the lock before failing with a timeout, e.g. 10s, 500ms, 1m30s, PT10S or plain
     * milliseconds. 0 tries once without waiting; negative or malformed values are refused.
     */
    private String lockTimeout;

    /**
     * The largest value accepted, in bytes (UTF-8 bytes for text and JSON). A larger value is refused before the lock
     * is taken.
     */
    private Long maxValueSize;

    /** Whether the consumer routes poll errors to the route's error handler instead of logging them. */
    private Boolean bridgeErrorHandler;

    /**
     * Consumer and cleanup operation: also inspect every robustmemory lock file in this directory (name.lock files
     * that hold a robustmemory owner record); other .lock files are left alone.
     */
    private String lockDirectory;

    /**
     * Whether producers start lazily, on the first message, so that a failing start fails the message rather than
     * the route.
     */
    private Boolean lazyStartProducer;

    /** The default operation; the header CamelRobustMemoryOperation overrides it per message. */
    private RobustMemoryOperation operation;

    /**
     * Whether the calling thread runs each operation and waits for its outcome instead of continuing the exchange on
     * the component's completion thread.
     */
    private Boolean synchronous;

    /**
     * Whether options marked autowired (here meterRegistry) are taken from the single bean of their type in the
     * registry.
     */
    private Boolean autowiredEnabled;

    /**
     * Whether the consumer and the cleanup operation repair what they find: a dead holder's owner record is marked
     * recovered, a corrupt one rewritten, each only while the lock is free. When false they only report.
     */
    private Boolean cleanupOrphaned;

    /**
     * The Micrometer registry for the lock meters, as a bean reference (#name). When not set: the only MeterRegistry
     * bean, else the one named metricsRegistry, else Micrometer's global registry.
     */
    private MeterRegistry meterRegistry;

    /**
     * Whether to record lock waits, hold times, acquisitions, timeouts, failures and holders that died, as headers,
     * Micrometer meters and for the health check.
     */
    private Boolean monitorLocks;

    /**
     * How long a live holder may hold the lock before the consumer and the cleanup operation report it as stale,
     * e.g. 1h or 30m; must be positive. A live holder is reported, never broken.
     */
    private String staleLockThreshold;

    /**
     * How long the values the endpoints write live, e.g. 30s, 10m or 1h; must be positive. Unset: values never
     * expire. The header CamelRobustMemoryTtl overrides it for one message.
     */
    private String ttl;

    /**
     * What a consumer emits: lockEvents, one exchange per orphaned, stale, corrupt or foreign-host lock; or changes,
     * one exchange per committed change of the memory by any process, in commit order.
     */
    private RobustMemoryConsumerType consumerType;

    /** Changes consumer: only the changes of keys starting with this text (matched literally). */
    private String keyPrefix;

    /** Changes consumer: whether each exchange carries the value written as its body. */
    private Boolean includeValues;

    /**
     * Changes consumer: the key in the memory where the consumer records how far it got, and from which it resumes
     * when it starts again.
     */
    private String resumeKey;

    /** Changes consumer: how long the memory keeps its changes for consumers that resume later, e.g. 1h or 7d. */
    private String changeRetention;

    /**
     * Whether to accept a lock file on a network or FUSE file system (nfs, cifs, smb, fuse...), where record locks
     * can be granted to two processes at once.
     */
    private Boolean allowNetworkFileSystem;

    /**
     * Permissions of the database and lock files this process creates, e.g. rw------- (owner only) or rw-rw----
     * (the processes of one group).
     */
    private String filePermissions;

    /**
     * Whether the memory's producer health checks are enabled (they report only when Camel's producer checks are
     * on: camel.health.producers-enabled=true).
     */
    private Boolean healthCheckProducerEnabled;

    /** Whether consumer health checks of this component (Camel's polling-consumer check) are enabled. */
    private Boolean healthCheckConsumerEnabled;

    /**
     * A whole RobustMemoryConfiguration bean (#name) as the default of every endpoint; the properties above that
     * are set refine a copy of it.
     */
    private RobustMemoryConfiguration configuration;

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

    public Long getMaxValueSize() {
        return maxValueSize;
    }

    public void setMaxValueSize(Long maxValueSize) {
        this.maxValueSize = maxValueSize;
    }

    public Boolean getBridgeErrorHandler() {
        return bridgeErrorHandler;
    }

    public void setBridgeErrorHandler(Boolean bridgeErrorHandler) {
        this.bridgeErrorHandler = bridgeErrorHandler;
    }

    public String getLockDirectory() {
        return lockDirectory;
    }

    public void setLockDirectory(String lockDirectory) {
        this.lockDirectory = lockDirectory;
    }

    public Boolean getLazyStartProducer() {
        return lazyStartProducer;
    }

    public void setLazyStartProducer(Boolean lazyStartProducer) {
        this.lazyStartProducer = lazyStartProducer;
    }

    public RobustMemoryOperation getOperation() {
        return operation;
    }

    public void setOperation(RobustMemoryOperation operation) {
        this.operation = operation;
    }

    public Boolean getSynchronous() {
        return synchronous;
    }

    public void setSynchronous(Boolean synchronous) {
        this.synchronous = synchronous;
    }

    public Boolean getAutowiredEnabled() {
        return autowiredEnabled;
    }

    public void setAutowiredEnabled(Boolean autowiredEnabled) {
        this.autowiredEnabled = autowiredEnabled;
    }

    public Boolean getCleanupOrphaned() {
        return cleanupOrphaned;
    }

    public void setCleanupOrphaned(Boolean cleanupOrphaned) {
        this.cleanupOrphaned = cleanupOrphaned;
    }

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

    public String getTablePrefix() {
        return tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
        this.tablePrefix = tablePrefix;
    }

    public MeterRegistry getMeterRegistry() {
        return meterRegistry;
    }

    public void setMeterRegistry(MeterRegistry meterRegistry) {
        this.meterRegistry = meterRegistry;
    }

    public Boolean getMonitorLocks() {
        return monitorLocks;
    }

    public void setMonitorLocks(Boolean monitorLocks) {
        this.monitorLocks = monitorLocks;
    }

    public RobustMemoryConsumerType getConsumerType() {
        return consumerType;
    }

    public void setConsumerType(RobustMemoryConsumerType consumerType) {
        this.consumerType = consumerType;
    }

    public String getKeyPrefix() {
        return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
        this.keyPrefix = keyPrefix;
    }

    public Boolean getIncludeValues() {
        return includeValues;
    }

    public void setIncludeValues(Boolean includeValues) {
        this.includeValues = includeValues;
    }

    public String getResumeKey() {
        return resumeKey;
    }

    public void setResumeKey(String resumeKey) {
        this.resumeKey = resumeKey;
    }

    public String getChangeRetention() {
        return changeRetention;
    }

    public void setChangeRetention(String changeRetention) {
        this.changeRetention = changeRetention;
    }

    public String getTtl() {
        return ttl;
    }

    public void setTtl(String ttl) {
        this.ttl = ttl;
    }

    public String getStaleLockThreshold() {
        return staleLockThreshold;
    }

    public void setStaleLockThreshold(String staleLockThreshold) {
        this.staleLockThreshold = staleLockThreshold;
    }

    public Boolean getAllowNetworkFileSystem() {
        return allowNetworkFileSystem;
    }

    public void setAllowNetworkFileSystem(Boolean allowNetworkFileSystem) {
        this.allowNetworkFileSystem = allowNetworkFileSystem;
    }

    public String getFilePermissions() {
        return filePermissions;
    }

    public void setFilePermissions(String filePermissions) {
        this.filePermissions = filePermissions;
    }

    public RobustMemoryConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(RobustMemoryConfiguration configuration) {
        this.configuration = configuration;
    }

    public Boolean getHealthCheckProducerEnabled() {
        return healthCheckProducerEnabled;
    }

    public void setHealthCheckProducerEnabled(Boolean healthCheckProducerEnabled) {
        this.healthCheckProducerEnabled = healthCheckProducerEnabled;
    }

    public Boolean getHealthCheckConsumerEnabled() {
        return healthCheckConsumerEnabled;
    }

    public void setHealthCheckConsumerEnabled(Boolean healthCheckConsumerEnabled) {
        this.healthCheckConsumerEnabled = healthCheckConsumerEnabled;
    }
}
