package dev.robustmemory.camel;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;

import javax.sql.DataSource;

import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.memory.NamedLockService;
import dev.robustmemory.postgresql.PostgresMemory;
import org.apache.camel.CamelContext;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;

/**
 * The options of the robustmemory component. The component holds one instance whose values are the defaults of every
 * endpoint; each endpoint works on its own {@link #copy()}, so an endpoint option never changes another endpoint.
 *
 * <p>Durations are kept as the text the user wrote and parsed strictly by {@link #validate()}, because Camel's
 * converter silently turns a malformed duration into 0 (which for {@code lockTimeout} would mean "never wait").
 */
@UriParams
public class RobustMemoryConfiguration implements Cloneable {

    /** The default operation; the header CamelRobustMemoryOperation overrides it per message. */
    @UriParam(label = "producer", defaultValue = "store")
    private RobustMemoryOperation operation = RobustMemoryOperation.store;

    /**
     * Where the memory lives: duckdb, an embedded DuckDB file shared by the processes of one host under a file lock
     * (the default, nothing to install); or postgresql, tables in a PostgreSQL database (the dataSource option) shared
     * by the processes of every host that reaches it. The same operations, headers and guarantees on both; see the
     * README for what differs.
     */
    @UriParam(defaultValue = "duckdb")
    private RobustMemoryBackend backend = RobustMemoryBackend.duckdb;

    /**
     * PostgreSQL backend: the database, as a DataSource (a pool such as HikariCP's, or PgBouncer in transaction mode:
     * nothing is held between transactions). Autowired: when unset, the only DataSource in the registry. Unused by
     * the duckdb backend.
     */
    @UriParam(label = "postgresql")
    @Metadata(autowired = true)
    private DataSource dataSource;

    /**
     * PostgreSQL backend: the text before the names of the memory's tables (entries, meta, changes, locks), which
     * are created when missing: lower-case letters, digits and '_', so that several memories share a schema. Unused
     * by the duckdb backend.
     */
    @UriParam(label = "postgresql", defaultValue = "robustmemory_")
    private String tablePrefix = "robustmemory_";

    /**
     * Path of the DuckDB database file, relative to the working directory unless absolute. Parent directories are
     * created; a file that is not a DuckDB database is an error and is never overwritten. ':memory:' is refused:
     * the memory must be a file that processes can share.
     */
    @UriParam(defaultValue = "robustmemory.duckdb")
    private String database = "robustmemory.duckdb";

    /**
     * Path of the lock file that guards the database (default: the database path plus '.lock'). Never the
     * database file itself, on which DuckDB holds its own lock. Every process sharing a database must name the same
     * lock file; it is never deleted.
     */
    @UriParam
    private String lockFile;

    /**
     * How long an operation waits for the lock before failing with a LockTimeoutException, e.g. 10s, 500ms, 1m30s,
     * PT10S or plain milliseconds. 0 tries once without waiting; negative or malformed values are refused. The header
     * CamelRobustMemoryLockTimeout overrides it for one message.
     */
    @UriParam(label = "producer", defaultValue = "5s", javaType = "java.time.Duration")
    private String lockTimeout = "5s";

    /**
     * How long the values this endpoint writes live (store, storeAll, getAndSet, putIfAbsent), e.g. 30s, 10m, 1h,
     * PT1H or plain milliseconds; must be positive. An expired value is absent to every operation in every process at
     * once, and its row is reclaimed later. An increment gives it to a key it creates (a counter of that window) and
     * keeps a key's expiry otherwise. Unset: values never expire. The header CamelRobustMemoryTtl overrides it for
     * one message.
     */
    @UriParam(label = "producer", javaType = "java.time.Duration")
    private String ttl;

    /**
     * What a consumer emits: lockEvents (the default), one exchange per orphaned, stale, corrupt or foreign-host lock
     * found by polling the lock file; or changes, one exchange per committed change of the memory by any process, in
     * commit order.
     */
    @UriParam(label = "consumer", defaultValue = "lockEvents")
    private RobustMemoryConsumerType consumerType = RobustMemoryConsumerType.lockEvents;

    /** Changes consumer: only the changes of keys starting with this text (matched literally). Unset: all keys. */
    @UriParam(label = "consumer")
    private String keyPrefix;

    /** Changes consumer: whether each exchange carries the value written as its body; when false the body is null. */
    @UriParam(label = "consumer", defaultValue = "true")
    private boolean includeValues = true;

    /**
     * Changes consumer: the key in this memory where the consumer records how far it got (after each poll's
     * exchanges, and before an exchange that failed), and from which it resumes when it starts again, so that a
     * restarted route misses no change (at least once: a process killed mid-poll gets that poll's changes again).
     * Its own changes are not emitted. Unset: the consumer starts after the latest change and remembers its position
     * in this process only.
     */
    @UriParam(label = "consumer")
    private String resumeKey;

    /**
     * Changes consumer: how long the memory keeps its changes, for consumers that resume later, e.g. 1h or 7d; must
     * be positive. The longest any consumer of the memory asked for applies. A consumer resuming from a change older
     * than that fails its polls with a ChangesLostException.
     */
    @UriParam(label = "consumer", defaultValue = "1d", javaType = "java.time.Duration")
    private String changeRetention = "1d";

    /**
     * Whether the consumer and the cleanup operation repair what they find: a dead holder's left-over owner record
     * is marked recovered and a corrupt one rewritten, each only while the lock is free. When false they only report,
     * and change nothing on disk. The lock file itself is never deleted.
     */
    @UriParam(label = "advanced", defaultValue = "true")
    private boolean cleanupOrphaned = true;

    /**
     * How long a live holder may keep the lock before the consumer and the cleanup operation report it as stale,
     * e.g. 1h or 30m; must be positive. A live holder is reported, never broken.
     */
    @UriParam(label = "advanced", defaultValue = "1h", javaType = "java.time.Duration")
    private String staleLockThreshold = "1h";

    /**
     * Whether to record lock waits, hold times, acquisitions, timeouts, failures and holders that died: as headers
     * after every producer operation, as Micrometer meters, and for the health check. When false, none of that is
     * recorded, set or registered.
     */
    @UriParam(label = "advanced", defaultValue = "true")
    private boolean monitorLocks = true;

    /**
     * Whether the calling thread runs each operation and waits for its outcome instead of continuing the exchange on
     * the component's completion thread: saves a thread hand-off (some 20 µs) when the caller waits anyway, at the
     * cost of a blocked thread while the lock is busy.
     */
    @UriParam(label = "producer,advanced", defaultValue = "false")
    private boolean synchronous;

    /**
     * Consumer and cleanup operation: also inspect every robustmemory lock file in this directory (each file named
     * name.lock that holds a robustmemory owner record), not only the memory's own lock file. Other .lock files are
     * left alone.
     */
    @UriParam(label = "advanced")
    private String lockDirectory;

    /**
     * The largest value accepted, in bytes (UTF-8 bytes for text and JSON). A larger value is refused before the
     * lock is taken.
     */
    @UriParam(label = "producer", defaultValue = "16777216")
    private long maxValueSize = StoreSettings.DEFAULT_MAX_VALUE_SIZE;

    /**
     * Whether to accept a lock file on a network or FUSE file system (nfs, cifs, smb, fuse...), where record locks
     * can be granted to two processes at once. Off by default: such a path is refused with an error saying why.
     */
    @UriParam(label = "security", defaultValue = "false")
    private boolean allowNetworkFileSystem;

    /**
     * Permissions of the database and lock files this process creates, as nine characters like rw-------
     * (owner-only, the default) or rw-rw---- (shared by the processes of one group). The owner must keep rw.
     */
    @UriParam(label = "security", defaultValue = LockFileSettings.DEFAULT_PERMISSIONS)
    private String filePermissions = LockFileSettings.DEFAULT_PERMISSIONS;

    public RobustMemoryOperation getOperation() {
        return operation;
    }

    public void setOperation(RobustMemoryOperation operation) {
        this.operation = operation;
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

    public boolean isIncludeValues() {
        return includeValues;
    }

    public void setIncludeValues(boolean includeValues) {
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

    public void setLockTimeout(String lockTimeout) {
        this.lockTimeout = lockTimeout;
    }

    public boolean isCleanupOrphaned() {
        return cleanupOrphaned;
    }

    public void setCleanupOrphaned(boolean cleanupOrphaned) {
        this.cleanupOrphaned = cleanupOrphaned;
    }

    public String getStaleLockThreshold() {
        return staleLockThreshold;
    }

    public void setStaleLockThreshold(String staleLockThreshold) {
        this.staleLockThreshold = staleLockThreshold;
    }

    public boolean isMonitorLocks() {
        return monitorLocks;
    }

    public void setMonitorLocks(boolean monitorLocks) {
        this.monitorLocks = monitorLocks;
    }

    public boolean isSynchronous() {
        return synchronous;
    }

    public void setSynchronous(boolean synchronous) {
        this.synchronous = synchronous;
    }

    public String getLockDirectory() {
        return lockDirectory;
    }

    public void setLockDirectory(String lockDirectory) {
        this.lockDirectory = lockDirectory;
    }

    public long getMaxValueSize() {
        return maxValueSize;
    }

    public void setMaxValueSize(long maxValueSize) {
        this.maxValueSize = maxValueSize;
    }

    public boolean isAllowNetworkFileSystem() {
        return allowNetworkFileSystem;
    }

    public void setAllowNetworkFileSystem(boolean allowNetworkFileSystem) {
        this.allowNetworkFileSystem = allowNetworkFileSystem;
    }

    public String getFilePermissions() {
        return filePermissions;
    }

    public void setFilePermissions(String filePermissions) {
        this.filePermissions = filePermissions;
    }

    /** The lock timeout as a duration. @throws IllegalArgumentException when it is malformed or negative */
    public Duration lockTimeoutDuration() {
        return Durations.parse("option lockTimeout", lockTimeout);
    }

    /** The time to live as a duration; null when unset. @throws IllegalArgumentException unless it is positive */
    public Duration ttlDuration() {
        if (ttl == null) {
            return null;
        }
        return positive("option ttl", ttl, Durations.parse("option ttl", ttl));
    }

    /**
     * @param value what {@code duration} was parsed from, for the message
     * @throws IllegalArgumentException when {@code duration} is zero (a parsed one is never negative)
     */
    static Duration positive(String name, Object value, Duration duration) {
        if (duration.isZero()) {
            throw new IllegalArgumentException("Invalid value for " + name + ": '" + value + "' must be positive");
        }
        return duration;
    }

    /** The change retention as a duration. @throws IllegalArgumentException unless it is positive */
    public Duration changeRetentionDuration() {
        return positive("option changeRetention", changeRetention,
                Durations.parse("option changeRetention", changeRetention));
    }

    /** The stale lock threshold as a duration. @throws IllegalArgumentException unless it is a positive duration */
    public Duration staleLockThresholdDuration() {
        return positive("option staleLockThreshold", staleLockThreshold,
                Durations.parse("option staleLockThreshold", staleLockThreshold));
    }

    /**
     * The lock directory as an absolute path, or null when none is set.
     *
     * @throws IllegalArgumentException when it is set but blank
     */
    public Path lockDirectoryPath() {
        if (lockDirectory == null) {
            return null;
        }
        if (lockDirectory.isBlank()) {
            throw new IllegalArgumentException("Invalid value for option lockDirectory: it must name a directory");
        }
        return Path.of(lockDirectory).toAbsolutePath().normalize();
    }

    /**
     * Checks every option, so that a mistake fails when the endpoint is created (or the component starts) rather
     * than on the first message.
     *
     * @throws IllegalArgumentException naming the first bad option and its value
     */
    public void validate() {
        if (operation == null) {
            throw new IllegalArgumentException("Option operation must be one of: " + RobustMemoryOperation.names());
        }
        lockTimeoutDuration();
        ttlDuration();
        changeRetentionDuration();
        if (consumerType == null) {
            throw new IllegalArgumentException("Option consumerType must be lockEvents or changes");
        }
        staleLockThresholdDuration();
        lockDirectoryPath();
        if (backend == null) {
            throw new IllegalArgumentException("Option backend must be duckdb or postgresql");
        }
        if (backend == RobustMemoryBackend.postgresql) {
            PostgresMemory.checkTablePrefix(tablePrefix);
            checkMaxValueSize();
        } else {
            storeSettings();
        }
    }

    /**
     * The memory these options name. On PostgreSQL the data source is the option's, else the only DataSource in the
     * context's registry (none without a context, which the error says).
     *
     * @throws IllegalArgumentException when an option is invalid, or no data source (or more than one) is found
     */
    MemoryLocation memoryLocation(CamelContext context) {
        validate();
        if (backend == RobustMemoryBackend.duckdb) {
            return new MemoryLocation.DuckDb(storeSettings());
        }
        DataSource source = dataSource;
        if (source == null) {
            if (context == null) {
                // A repository bean made in code and started by hand: saying "the registry has 0" would send its
                // user looking in a registry that has the DataSource all along.
                throw new IllegalArgumentException("Option backend=postgresql needs the option dataSource: there is"
                                                   + " no Camel context to autowire one from (the bean was neither"
                                                   + " bound in a registry nor given one with setCamelContext)");
            }
            Set<DataSource> found = context.getRegistry().findByType(DataSource.class);
            if (found.size() != 1) {
                throw new IllegalArgumentException("Option backend=postgresql needs the option dataSource (e.g."
                                                   + " dataSource=#myDataSource): the registry has " + found.size()
                                                   + " DataSource beans, so none can be autowired");
            }
            source = found.iterator().next();
        }
        return new MemoryLocation.Postgres(source, tablePrefix, maxValueSize);
    }

    /**
     * Where the memory lives and how its files are guarded, as the store needs it; paths are absolute and normalised
     * so that two spellings of one database are recognised as the same.
     *
     * @throws IllegalArgumentException when database, lockFile, maxValueSize or filePermissions is invalid
     */
    public StoreSettings storeSettings() {
        Path databasePath = databasePath();
        Path lockPath = lockFile == null || lockFile.isBlank()
                ? StoreSettings.defaultLockFile(databasePath) : Path.of(lockFile).toAbsolutePath().normalize();
        if (lockPath.equals(databasePath)) {
            throw new IllegalArgumentException("Invalid value for option lockFile: '" + lockFile + "' is the database"
                                               + " file itself, on which DuckDB holds its own lock; use a sidecar file");
        }
        checkMaxValueSize();
        return new StoreSettings(databasePath, lockPath,
                new LockFileSettings(permissions(), allowNetworkFileSystem), maxValueSize);
    }

    /**
     * Opens the named locks of the memory these options name (see {@link #memoryLocation}), for the cluster
     * service, which lives in another package.
     *
     * @param lease       how long a PostgreSQL grant lasts unless renewed (unused on DuckDB), as duration text
     * @param leaseOption the option that gave the lease, for errors
     * @throws IllegalArgumentException when the lease is malformed or not positive, or an option is invalid
     */
    public NamedLockService openNamedLocks(CamelContext context, String lease, String leaseOption) throws Exception {
        return memoryLocation(context).openNamedLocks(positive(leaseOption, lease, Durations.parse(leaseOption, lease)));
    }

    private void checkMaxValueSize() {
        if (maxValueSize <= 0) {
            throw new IllegalArgumentException("Invalid value for option maxValueSize: " + maxValueSize
                                               + " (must be a positive number of bytes)");
        }
    }

    /** A copy whose changes do not affect this configuration. */
    public RobustMemoryConfiguration copy() {
        try {
            return (RobustMemoryConfiguration) clone();
        } catch (CloneNotSupportedException e) {
            throw new RuntimeCamelException(e);
        }
    }

    private Path databasePath() {
        if (database == null || database.isBlank()) {
            throw new IllegalArgumentException("Option database must name a file");
        }
        if (database.startsWith(":memory:")) {
            throw new IllegalArgumentException("Invalid value for option database: '" + database + "': an in-memory"
                                               + " database cannot be shared between processes; name a file");
        }
        return Path.of(database).toAbsolutePath().normalize();
    }

    private Set<PosixFilePermission> permissions() {
        Set<PosixFilePermission> permissions;
        try {
            permissions = PosixFilePermissions.fromString(filePermissions);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("Invalid value for option filePermissions: '" + filePermissions
                                               + "' (expected nine characters like rw------- or rw-rw----)");
        }
        if (!permissions.contains(PosixFilePermission.OWNER_READ)
                || !permissions.contains(PosixFilePermission.OWNER_WRITE)) {
            throw new IllegalArgumentException("Invalid value for option filePermissions: '" + filePermissions
                                               + "' (the owner needs read and write, rw-......)");
        }
        return permissions;
    }
}
