package dev.robustmemory.camel;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.HolderStatus;
import dev.robustmemory.duckdb.lock.ProcessIdentity;
import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.VersionConflictException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.api.management.ManagedOperation;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.OptimisticLockingAggregationRepository;
import org.apache.camel.spi.RecoverableAggregationRepository;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An aggregation repository kept in a robustmemory database, so that the groups of an aggregator are shared by
 * every process of the host that uses the same database and repository name, and survive a crash:
 * {@code aggregate(header("orderId"), strategy).aggregationRepository(repo).optimisticLocking().completionSize(3)}.
 *
 * <p><b>What is stored.</b> Each exchange is one value, JSON plus the body's bytes, never Java serialisation: the
 * exchange id, the body, the headers, the properties (the aggregator's own among them) and the variables of the
 * types listed in {@link ExchangeCodec}; a header, property or variable of another type is dropped with a warning,
 * a body of another type is refused ({@link IllegalArgumentException}), and an exchange larger than
 * {@code maxValueSize} is refused before the lock is taken.
 *
 * <p><b>Optimistic locking.</b> Use the aggregator's {@code optimisticLocking()} when more than one process
 * aggregates into the repository: the aggregator's own lock excludes only the threads of its JVM. An exchange read
 * from the repository carries its version (the memory's revision) in the property {@value #VERSION_PROPERTY}; adding
 * its successor, or completing it, is a compare-and-set on that version, and a conflict (another process or
 * aggregator changed the group meanwhile) throws {@link OptimisticLockingException}, on which the aggregator reads
 * the group again and retries. So no part is lost and no group completes twice.
 *
 * <p><b>Completion and recovery.</b> Completing a group moves it, in one atomic step, from the groups to the
 * completed exchanges, claimed by this repository instance; {@link #confirm} (when its route has processed it)
 * deletes it. Until then the aggregator's recovery task finds it with {@link #scan} and sends it again. A completed
 * exchange claimed by another live process or started repository is left to it (no duplicate while its owner
 * runs); one whose process died ({@code kill -9}, or a normal exit before confirming) or whose repository stopped is
 * taken over by the first repository that recovers it. Delivery of a completed group is at least once.
 *
 * <p>Keys: {@code aggregation/<repositoryName>/groups/<correlationKey>}, {@code .../completed/<exchangeId>} and
 * {@code .../claims/<exchangeId>}.
 *
 * <p>With camel-management, a repository added to the context as a service before the context starts
 * ({@code context.addService(repository)}; Camel's aggregator starts its repository without registering it) is an
 * MBean of Camel's services ({@code type=services,name=RobustMemoryAggregationRepository(...)}) showing its options,
 * the groups in progress and the completed exchanges not yet confirmed.
 */
@ManagedResource(description = "Robust memory aggregation repository")
@Metadata(label = "bean", title = "Robust Memory Aggregation Repository",
          description = "Aggregation repository in a robustmemory memory: an aggregator's groups are shared by every"
                        + " process that uses the same memory (a DuckDB file on one host, or PostgreSQL tables),"
                        + " survive a crash and are recovered; exchanges are stored as JSON and bytes, never Java"
                        + " serialisation.")
public class RobustMemoryAggregationRepository extends RepositoryBeanSupport
        implements RecoverableAggregationRepository, OptimisticLockingAggregationRepository {

    /** The namespace of the repositories' keys in the memory. */
    public static final String KEY_NAMESPACE = "aggregation/";
    /** The exchange property holding the version of an exchange read from the repository (not stored). */
    public static final String VERSION_PROPERTY = "CamelRobustMemoryAggregationVersion";

    private static final Logger LOG = LoggerFactory.getLogger(RobustMemoryAggregationRepository.class);
    /** The started repositories of this JVM, by instance id: their claims are never taken over. */
    private static final Set<String> STARTED_INSTANCES = ConcurrentHashMap.newKeySet();

    @Metadata(description = "The repository's name: its keys start with aggregation/<repositoryName>/. Aggregators"
                            + " that share groups use the same name and database.", defaultValue = "default")
    private String repositoryName = "default";

    @Metadata(description = "The largest stored exchange (JSON and body bytes), in bytes; a larger one is refused.",
              defaultValue = "16777216")
    private long maxValueSize = StoreSettings.DEFAULT_MAX_VALUE_SIZE;

    @Metadata(description = "Whether the aggregator recovers completed exchanges that were not confirmed (their route"
                            + " failed, or their process died).", defaultValue = "true")
    private boolean useRecovery = true;

    @Metadata(description = "How often, in milliseconds, the aggregator's recovery task looks for completed exchanges"
                            + " to send again.", defaultValue = "5000")
    private long recoveryInterval = 5000;

    @Metadata(description = "How many times a recovered exchange is sent again before it goes to deadLetterUri"
                            + " (counted by each process; required with deadLetterUri).")
    private int maximumRedeliveries;

    @Metadata(description = "Where a recovered exchange goes after maximumRedeliveries attempts; none: it is sent"
                            + " again for ever.")
    private String deadLetterUri;

    private final RepositoryMemory memory = new RepositoryMemory("aggregation repository");
    private final AtomicBoolean warnedWithoutOptimisticLocking = new AtomicBoolean();
    /**
     * The exchanges this repository is completing, and when (System.nanoTime) each completion it has not confirmed
     * returned. With optimistic locking the aggregator marks a completed exchange as in progress only after
     * {@link #remove} returns, and its recovery task may scan (and then recover) in between: it would send the
     * exchange a second time. So an exchange completed here is offered for recovery here only once its completion
     * has returned a recovery interval ago, by which time the aggregator knows it is in progress.
     */
    private final Set<String> completing = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> completedHere = new ConcurrentHashMap<>();
    // Set when started.
    private volatile ExchangeCodec codec;
    private volatile JsonObject claim;
    private volatile String instance;

    public RobustMemoryAggregationRepository() {
    }

    /** A repository named {@code repositoryName} in the database file {@code database}. */
    public RobustMemoryAggregationRepository(String database, String repositoryName) {
        setDatabase(database);
        setRepositoryName(repositoryName);
    }

    /**
     * Stores the group without a version check: what an aggregator without {@code optimisticLocking()} calls, safe
     * only while this JVM alone adds to the repository's groups.
     *
     * @return the group as it was before, or null
     */
    @Override
    public Exchange add(CamelContext camelContext, String key, Exchange exchange) {
        if (warnedWithoutOptimisticLocking.compareAndSet(false, true)) {
            LOG.warn("Aggregation repository '{}' is used without optimistic locking: the aggregator's lock excludes"
                     + " only the threads of this JVM, so another process adding to the same group at once can lose"
                     + " a part; use optimisticLocking() when several processes share it", repositoryName);
        }
        String groupKey = groupKey(key);
        StoredValue value = encode(exchange, "correlation key '" + key + "'");
        Stored stored = memory.execute("add to correlation key '" + key + "'", session -> {
            Optional<MemoryEntry> before = session.load(groupKey);
            return new Stored(before, session.store(groupKey, value, OptionalLong.empty()));
        });
        exchange.setProperty(VERSION_PROPERTY, stored.written().version());
        return stored.before().map(entry -> decode(camelContext, entry)).orElse(null);
    }

    /**
     * Stores the group if it is still the version {@code oldExchange} was read at (or, for a null
     * {@code oldExchange}, if there is no group yet).
     *
     * @throws OptimisticLockingException when the group changed since {@code oldExchange} was read; nothing written
     */
    @Override
    public Exchange add(CamelContext camelContext, String key, Exchange oldExchange, Exchange newExchange) {
        long expected = oldExchange == null ? 0 : versionOf(oldExchange, key);
        String groupKey = groupKey(key);
        StoredValue value = encode(newExchange, "correlation key '" + key + "'");
        MemoryEntry written = memory.execute("add to correlation key '" + key + "'", session -> {
            try {
                return session.store(groupKey, value, OptionalLong.of(expected));
            } catch (VersionConflictException changed) {
                return null;
            }
        });
        if (written == null) {
            throw new OptimisticLockingException();
        }
        newExchange.setProperty(VERSION_PROPERTY, written.version());
        return oldExchange;
    }

    /** The group of the correlation key, with its version in {@value #VERSION_PROPERTY}; null when there is none. */
    @Override
    public Exchange get(CamelContext camelContext, String key) {
        String groupKey = groupKey(key);
        return memory.execute("read correlation key '" + key + "'",
                MemoryWork.reading(session -> session.load(groupKey))).map(entry -> decode(camelContext, entry))
                .orElse(null);
    }

    /**
     * Completes the group: in one atomic step deletes it and keeps {@code exchange} as a completed exchange claimed
     * by this repository, until {@link #confirm}. When {@code exchange} carries a version, the group must still be at
     * that version.
     *
     * @throws OptimisticLockingException when the group changed or was completed since {@code exchange} was read
     */
    @Override
    public void remove(CamelContext camelContext, String key, Exchange exchange) {
        String groupKey = groupKey(key);
        String exchangeId = exchange.getExchangeId();
        String completedKey = completedKey(exchangeId);
        String claimKey = claimKey(exchangeId);
        Long expected = exchange.getProperty(VERSION_PROPERTY, Long.class);
        StoredValue value = encode(exchange, "correlation key '" + key + "'");
        StoredValue owner = StoredValue.json(Jsoner.serialize(claim));
        completing.add(exchangeId); // before the commit: the recovery task may scan right after it
        boolean removed = false;
        try {
            removed = memory.execute("complete correlation key '" + key + "'", session -> {
                if (expected != null) {
                    Optional<MemoryEntry> current = session.load(groupKey);
                    if (current.isEmpty() || current.get().version() != expected) {
                        return false;
                    }
                }
                session.delete(groupKey);
                session.store(completedKey, value, OptionalLong.empty());
                session.store(claimKey, owner, OptionalLong.empty());
                return true;
            });
            if (removed) {
                completedHere.put(exchangeId, System.nanoTime());
            }
        } finally {
            completing.remove(exchangeId);
        }
        if (!removed) {
            throw new OptimisticLockingException();
        }
    }

    /** Forgets a completed exchange: its route has processed it. */
    @Override
    public void confirm(CamelContext camelContext, String exchangeId) {
        String completedKey = completedKey(exchangeId);
        String claimKey = claimKey(exchangeId);
        memory.execute("confirm exchange '" + exchangeId + "'", session -> {
            session.delete(completedKey);
            return session.delete(claimKey);
        });
        completedHere.remove(exchangeId);
    }

    /**
     * As {@link #confirm}; false (with a warning) when the memory could not be written, so that the aggregator tries
     * again at its next recovery scan.
     */
    @Override
    public boolean confirmWithResult(CamelContext camelContext, String exchangeId) {
        try {
            confirm(camelContext, exchangeId);
            return true;
        } catch (RuntimeCamelException e) {
            LOG.warn("Aggregation repository '{}' could not confirm exchange {} yet: {}", repositoryName, exchangeId,
                    e.getMessage());
            return false;
        }
    }

    /** The correlation keys of the groups in progress, in every process. */
    @Override
    @ManagedOperation(description = "The correlation keys of the groups in progress, in every process")
    public Set<String> getKeys() {
        String prefix = groupKey("");
        return memory.execute("list correlation keys", session -> strippedKeys(session, prefix));
    }

    /** The ids of the completed exchanges not yet confirmed, whichever process or repository claimed them. */
    @ManagedOperation(description = "The ids of the completed exchanges not yet confirmed, in every process")
    public Set<String> unconfirmedExchangeIds() {
        String prefix = claimKey("");
        return memory.execute("list completed exchanges", session -> strippedKeys(session, prefix));
    }

    /**
     * The completed exchanges not yet confirmed that this repository may send again: its own, and those of a process
     * that died or a repository of this JVM that stopped; not those of another live process or started repository.
     */
    @Override
    public Set<String> scan(CamelContext camelContext) {
        String prefix = claimKey("");
        return memory.execute("scan completed exchanges", session -> {
            Set<String> recoverable = new LinkedHashSet<>();
            for (String exchangeId : strippedKeys(session, prefix)) {
                if (session.load(prefix + exchangeId).map(entry -> mayRecover(exchangeId, entry)).orElse(false)) {
                    recoverable.add(exchangeId);
                }
            }
            return recoverable;
        });
    }

    /**
     * A completed exchange to send again, now claimed by this repository; null when it was confirmed meanwhile or
     * another live repository claimed it first.
     */
    @Override
    public Exchange recover(CamelContext camelContext, String exchangeId) {
        String claimKey = claimKey(exchangeId);
        String completedKey = completedKey(exchangeId);
        StoredValue owner = StoredValue.json(Jsoner.serialize(claim));
        Optional<MemoryEntry> recovered = memory.execute("recover exchange '" + exchangeId + "'", session -> {
            Optional<MemoryEntry> current = session.load(claimKey);
            if (current.isEmpty() || !mayRecover(exchangeId, current.get())) {
                return Optional.empty();
            }
            session.store(claimKey, owner, OptionalLong.empty());
            return session.load(completedKey);
        });
        return recovered.map(entry -> decode(camelContext, entry)).orElse(null);
    }

    private boolean mayRecover(String exchangeId, MemoryEntry claimEntry) {
        JsonObject owner = parseClaim(claimEntry.value().text());
        String ownerInstance = owner.getString("instance");
        if (instance.equals(ownerInstance)) {
            Long completedAt = completedHere.get(exchangeId);
            return !completing.contains(exchangeId) && (completedAt == null
                   || System.nanoTime() - completedAt >= TimeUnit.MILLISECONDS.toNanos(recoveryInterval));
        }
        String started = owner.getString("processStart");
        ProcessIdentity ownerProcess = new ProcessIdentity(owner.getLong("pid"),
                started == null ? null : Instant.parse(started), owner.getString("host"), owner.getString("bootId"));
        if (ownerProcess.equals(ProcessIdentity.current())) {
            return !STARTED_INSTANCES.contains(ownerInstance);
        }
        return ProcessIdentity.current().judge(ownerProcess) == HolderStatus.DEAD;
    }

    private static JsonObject parseClaim(String json) {
        try {
            return (JsonObject) Jsoner.deserialize(json);
        } catch (Exception e) {
            throw new IllegalStateException("A claim of a completed exchange cannot be read: " + json, e);
        }
    }

    @Override
    protected void doStart() throws Exception {
        if (recoveryInterval <= 0) {
            throw new IllegalArgumentException("The aggregation repository's recoveryInterval must be a positive"
                                               + " number of milliseconds, not " + recoveryInterval);
        }
        RobustMemoryConfiguration options = memoryOptions();
        options.setMaxValueSize(maxValueSize);
        memory.open("repositoryName", repositoryName, options, getCamelContext());
        codec = new ExchangeCodec(maxValueSize, List.of(VERSION_PROPERTY));
        instance = UUID.randomUUID().toString();
        ProcessIdentity self = ProcessIdentity.current();
        JsonObject owner = new JsonObject();
        owner.put("pid", self.pid());
        if (self.processStart() != null) {
            owner.put("processStart", self.processStart().toString());
        }
        owner.put("host", self.host());
        owner.put("bootId", self.bootId());
        owner.put("instance", instance);
        claim = owner;
        STARTED_INSTANCES.add(instance);
    }

    @Override
    protected void doStop() {
        if (instance != null) {
            STARTED_INSTANCES.remove(instance);
        }
        completing.clear();
        completedHere.clear(); // started again, this is another instance: its own completions are a stopped one's
        memory.close();
    }

    private StoredValue encode(Exchange exchange, String what) {
        ExchangeCodec.Encoded encoded;
        try {
            encoded = codec().encode(exchange);
        } catch (IOException e) {
            throw new RuntimeCamelException("Aggregation repository '" + repositoryName + "' could not read the body"
                                            + " of " + what + ": " + e.getMessage(), e);
        }
        if (!encoded.dropped().isEmpty()) {
            LOG.warn("Aggregation repository '{}' did not store {} of exchange {} ({}): only the types listed in its"
                     + " documentation are stored, never with Java serialisation", repositoryName, encoded.dropped(),
                    exchange.getExchangeId(), what);
        }
        try {
            memory.store().checkValue(encoded.value());
        } catch (InvalidEntryException e) {
            throw new InvalidEntryException("Aggregation repository '" + repositoryName + "' cannot store the"
                                            + " exchange of " + what + ": " + e.getMessage());
        }
        return encoded.value();
    }

    private Exchange decode(CamelContext camelContext, MemoryEntry entry) {
        Exchange exchange = codec().decode(camelContext, entry.value());
        exchange.setProperty(VERSION_PROPERTY, entry.version());
        return exchange;
    }

    private ExchangeCodec codec() {
        memory.store(); // refuses a repository that is not started
        return codec;
    }

    private static long versionOf(Exchange exchange, String key) {
        Long version = exchange.getProperty(VERSION_PROPERTY, Long.class);
        if (version == null) {
            throw new IllegalArgumentException("The old exchange of correlation key '" + key + "' was not read from"
                                               + " this repository (it has no " + VERSION_PROPERTY + " property)");
        }
        return version;
    }

    private static Set<String> strippedKeys(MemorySession session, String prefix) throws StoreException {
        Set<String> stripped = new LinkedHashSet<>();
        for (String key : session.keys(prefix)) {
            stripped.add(key.substring(prefix.length()));
        }
        return stripped;
    }

    private String groupKey(String correlationKey) {
        return keyPrefix() + "groups/" + requireNonNull(correlationKey, "correlation key");
    }

    private String completedKey(String exchangeId) {
        return keyPrefix() + "completed/" + requireNonNull(exchangeId, "exchange id");
    }

    private String claimKey(String exchangeId) {
        return keyPrefix() + "claims/" + requireNonNull(exchangeId, "exchange id");
    }

    private static String requireNonNull(String text, String what) {
        if (text == null) {
            throw new IllegalArgumentException("The " + what + " must not be null");
        }
        return text;
    }

    /** The prefix of this repository's keys, {@code aggregation/<repositoryName>/}. */
    public String keyPrefix() {
        return KEY_NAMESPACE + repositoryName + "/";
    }

    /** The group before an unconditional add, and as written. */
    private record Stored(Optional<MemoryEntry> before, MemoryEntry written) {
    }

    @ManagedAttribute(description = "The repository's name: its keys start with aggregation/<repositoryName>/")
    public String getRepositoryName() {
        return repositoryName;
    }

    public void setRepositoryName(String repositoryName) {
        this.repositoryName = repositoryName;
    }

    @ManagedAttribute(description = "The largest stored exchange, in bytes")
    public long getMaxValueSize() {
        return maxValueSize;
    }

    public void setMaxValueSize(long maxValueSize) {
        this.maxValueSize = maxValueSize;
    }

    @Override
    @ManagedAttribute(description = "Whether unconfirmed completed exchanges are recovered")
    public boolean isUseRecovery() {
        return useRecovery;
    }

    @Override
    public void setUseRecovery(boolean useRecovery) {
        this.useRecovery = useRecovery;
    }

    @Override
    @ManagedAttribute(description = "How often the aggregator looks for exchanges to recover, in milliseconds")
    public long getRecoveryInterval() {
        return recoveryInterval;
    }

    @Override
    public void setRecoveryInterval(long recoveryInterval) {
        this.recoveryInterval = recoveryInterval;
    }

    @Override
    public void setRecoveryInterval(long interval, TimeUnit unit) {
        this.recoveryInterval = unit.toMillis(interval);
    }

    @Override
    @ManagedAttribute(description = "Redeliveries of a recovered exchange before the dead letter URI")
    public int getMaximumRedeliveries() {
        return maximumRedeliveries;
    }

    @Override
    public void setMaximumRedeliveries(int maximumRedeliveries) {
        this.maximumRedeliveries = maximumRedeliveries;
    }

    @Override
    @ManagedAttribute(description = "Where a recovered exchange goes after maximumRedeliveries")
    public String getDeadLetterUri() {
        return deadLetterUri;
    }

    @Override
    public void setDeadLetterUri(String deadLetterUri) {
        this.deadLetterUri = deadLetterUri;
    }
}
