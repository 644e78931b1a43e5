package dev.robustmemory.camel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;

import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.LockException;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.NamedLockStatistics;
import dev.robustmemory.memory.StoreException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Endpoint;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.WritableHealthCheckRepository;
import org.apache.camel.spi.ManagementAgent;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.Registry;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.HealthCheckComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable key/value memory shared safely by the routes of many processes: in an embedded DuckDB file under a
 * crash-safe cross-process file lock (one host, the default), or in PostgreSQL tables (many hosts).
 *
 * <p>The component's options are the defaults of its endpoints; endpoint options override them. Endpoints of the
 * same {@link MemoryLocation} share one {@link Memory}, opened when the first of them starts and closed when the
 * component stops. Every endpoint of one DuckDB database must name the same lock file: a second lock file for a
 * database is refused when the endpoint is created, since two lock files for one database would let two writers in
 * at once.
 *
 * <p><b>Observability.</b> Each memory in use (each database or table prefix a started producer or consumer names) has one
 * {@link MemoryMonitor}: lock statistics shared by all its producers and consumers, Micrometer meters (registered by
 * the first of them with {@code monitorLocks=true}, in {@link #setMeterRegistry the meter registry}), and a readiness
 * {@link RobustMemoryHealthCheck} that each started producer offers to Camel's producer health checks when
 * camel-health is present (consumers have Camel's own polling-consumer check). All of it is dropped when the
 * component stops, so the totals count since the component started.
 *
 * <p><b>Management.</b> Each memory in use also has a {@link ManagedMemory} view (holder, waiters, statistics, a
 * lock timeout that can be changed at run time), shown by the {@link RobustMemoryDevConsole dev console} and, when
 * camel-management is present and JMX is on, registered as the MBean
 * {@code org.apache.camel:context=<context>,type=services,name="robustmemory:<database path>"} when a route first
 * opens the memory, and unregistered when the component stops.
 */
@Component("robustmemory")
public class RobustMemoryComponent extends HealthCheckComponent {

    private static final Logger LOG = LoggerFactory.getLogger(RobustMemoryComponent.class);
    /** The name under which camel-micrometer looks up, and binds, the registry of a Camel context. */
    private static final String METRICS_REGISTRY_NAME = "metricsRegistry";
    /** The id of camel-health's repository of producer checks (its ProducersHealthCheckRepository). */
    private static final String PRODUCER_HEALTH_CHECKS = "producers";

    @Metadata(label = "advanced",
              description = "Default options for every endpoint of this component; endpoint options override them.")
    private RobustMemoryConfiguration configuration = new RobustMemoryConfiguration();

    @Metadata(label = "advanced", autowired = true,
              description = "The Micrometer registry for the lock meters. When not set, it is found as camel-micrometer"
                            + " finds its registry: a CompositeMeterRegistry named metricsRegistry, else the only"
                            + " CompositeMeterRegistry, else a MeterRegistry named metricsRegistry, else the only"
                            + " MeterRegistry, else a new SimpleMeterRegistry bound as metricsRegistry. Unused when"
                            + " monitorLocks is false.")
    private MeterRegistry meterRegistry;

    // All guarded by "this". Lock files are remembered for the component's life, across stop and start.
    private final Map<Path, Path> lockFileByDatabase = new HashMap<>();
    private final Map<MemoryLocation, Memory> openMemories = new HashMap<>();
    // Keyed by MemoryLocation.memoryKey(): one monitor per memory, whatever its file settings.
    private final Map<Object, MemoryMonitor> monitors = new HashMap<>();
    private final Map<Object, ManagedMemory> managedMemories = new HashMap<>();
    private final Map<Object, NamedLockMeters> namedLockMeters = new HashMap<>();
    private final List<ObjectName> registeredMBeans = new ArrayList<>();
    private ExecutorService completionExecutor;

    public RobustMemoryConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(RobustMemoryConfiguration configuration) {
        this.configuration = configuration;
    }

    public MeterRegistry getMeterRegistry() {
        return meterRegistry;
    }

    public void setMeterRegistry(MeterRegistry meterRegistry) {
        this.meterRegistry = meterRegistry;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        RobustMemoryEndpoint endpoint = new RobustMemoryEndpoint(uri, this, configuration.copy());
        // "robustmemory?operation=size" has no remaining part at all, "robustmemory:?operation=size" an empty one.
        endpoint.setKey(remaining == null || remaining.isEmpty() ? null : remaining);
        setProperties(endpoint, parameters);
        if (endpoint.location() instanceof MemoryLocation.DuckDb duckDb) { // validates every option
            claimLockFile(duckDb.settings());
        }
        return endpoint;
    }

    @Override
    protected synchronized void doStart() throws Exception {
        super.doStart();
        configuration.validate();
        // Cached, not fixed: a continuation may block (say, a processor that sends to this memory and waits), and a
        // fixed pool whose threads all waited for answers that only the pool could deliver would deadlock.
        completionExecutor =
                getCamelContext().getExecutorServiceManager().newCachedThreadPool(this, "RobustMemoryCompletion");
    }

    @Override
    protected synchronized void doStop() throws Exception {
        unmanageMemories();
        monitors.values().forEach(monitor -> monitor.statistics().unbindMeters());
        monitors.clear();
        namedLockMeters.values().forEach(NamedLockMeters::remove);
        namedLockMeters.clear();
        for (Map.Entry<MemoryLocation, Memory> open : openMemories.entrySet()) {
            try {
                open.getValue().close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the robustmemory memory {} failed: {}", open.getKey().displayName(), e.getMessage(),
                        e);
            }
        }
        openMemories.clear();
        // After closing the stores, whose queued works fail now: a plain shutdown still delivers those failures.
        getCamelContext().getExecutorServiceManager().shutdown(completionExecutor);
        completionExecutor = null;
        super.doStop();
    }

    /**
     * The memory shared by the endpoints of this location, opened on first use.
     *
     * @throws StoreException when the database cannot be opened (not a DuckDB file, a directory, unwritable)
     * @throws LockException  when the lock file cannot be used (a directory, permissions, network file system)
     */
    synchronized Memory memory(MemoryLocation location) throws Exception {
        Memory memory = openMemories.get(location);
        if (memory == null) {
            MemoryMonitor monitor = monitor(location);
            try {
                memory = location.open();
                monitor.collectTakeovers(memory); // typically a process restarted after dying with the lock
            } catch (Exception e) {
                monitor.statistics().recordOpenFailure(e);
                throw e;
            }
            openMemories.put(location, memory);
            if (memory instanceof DuckDbMemory store) {
                monitor.lockOpened(store.lock().path());
            }
            manageMemory(monitor, location, memory);
        }
        return memory;
    }

    /**
     * Where the producers' exchanges continue once the memory has answered: a thread of this component, never the
     * store's lease thread.
     */
    synchronized Executor completionExecutor() {
        return completionExecutor;
    }

    /** The monitor of a memory in use, created when first asked for. */
    synchronized MemoryMonitor monitor(MemoryLocation location) {
        return monitors.computeIfAbsent(location.memoryKey(),
                key -> new MemoryMonitor(location, () -> namedLockStatistics(key)));
    }

    /**
     * The statistics a monitoring producer or consumer of this store records into; the memory's meters are
     * registered by the first call.
     */
    synchronized LockStatistics monitoredStatistics(MemoryLocation location, Memory memory) {
        LockStatistics statistics = monitor(location).statistics();
        statistics.bindMeters(resolveMeterRegistry(),
                Tags.of("camelContext", getCamelContext().getName(), "database", location.displayName()),
                memory instanceof DuckDbMemory store ? store.lock() : null);
        return statistics;
    }

    /** The meters of a memory's named locks, shared by the lock policies of this component, registered on first use. */
    synchronized NamedLockMeters namedLockMeters(MemoryLocation location) {
        return namedLockMeters.computeIfAbsent(location.memoryKey(), key -> new NamedLockMeters(
                resolveMeterRegistry(), Tags.of("camelContext", getCamelContext().getName(),
                        "database", location.displayName())));
    }

    /** The named lock totals of a memory ({@link MemoryLocation#memoryKey}) whose lock policies started, or null. */
    synchronized NamedLockStatistics namedLockStatistics(Object memoryKey) {
        NamedLockMeters meters = namedLockMeters.get(memoryKey);
        return meters == null ? null : meters.statistics();
    }

    /** Counts a recovered orphan for the memory in use whose lock file it is, if any (a lockDirectory holds others). */
    synchronized void countCleanedOrphan(Path lockFile) {
        monitors.values().stream().filter(monitor -> lockFile.equals(monitor.lockPath()))
                .forEach(monitor -> monitor.statistics().recordOrphanCleaned());
    }

    /** The management views of the memories in use, as the dev console shows them. */
    synchronized List<ManagedMemory> managedMemories() {
        return List.copyOf(managedMemories.values());
    }

    /**
     * Creates the memory's view when its first store opens and registers it with JMX when camel-management is
     * there. A failed registration is logged and the route goes on, as Camel does for its own services.
     */
    private void manageMemory(MemoryMonitor monitor, MemoryLocation location, Memory opened) {
        if (managedMemories.containsKey(location.memoryKey())) {
            return; // a second instance of the same memory (other file settings or size limit): one view
        }
        ManagedMemory memory = new ManagedMemory(this, monitor, location, opened);
        managedMemories.put(location.memoryKey(), memory);
        ManagementAgent agent = getCamelContext().getManagementStrategy().getManagementAgent();
        if (agent != null) {
            try {
                ObjectName name = objectName(location.displayName());
                agent.register(memory, name);
                registeredMBeans.add(name);
            } catch (Exception e) {
                LOG.warn("Cannot register the robustmemory MBean of {}: {}", location.displayName(), e.getMessage(),
                        e);
            }
        }
    }

    private void unmanageMemories() {
        ManagementAgent agent = getCamelContext().getManagementStrategy().getManagementAgent();
        for (ObjectName name : registeredMBeans) {
            try {
                agent.unregister(name);
            } catch (Exception e) {
                LOG.warn("Cannot unregister the MBean {}: {}", name, e.getMessage(), e);
            }
        }
        registeredMBeans.clear();
        managedMemories.clear();
    }

    /**
     * The context's name as Camel's own MBeans carry it (management name, host name when configured, JMX domain),
     * with the memory named {@code robustmemory:<database>} (or {@code robustmemory:postgresql:<table prefix>}):
     * findable by database, unlike Camel's naming of services by class and identity hash.
     */
    private ObjectName objectName(String memoryName) throws MalformedObjectNameException {
        ObjectName contextName = getCamelContext().getManagementStrategy().getManagementObjectNameStrategy()
                .getObjectNameForCamelContext(getCamelContext());
        Hashtable<String, String> keys = new Hashtable<>();
        keys.put("context", contextName.getKeyProperty("context"));
        keys.put("type", "services");
        keys.put("name", ObjectName.quote("robustmemory:" + memoryName));
        return new ObjectName(contextName.getDomain(), keys);
    }

    /**
     * The registry for the meters, found as camel-micrometer finds its own (its MicrometerUtils), so that both share
     * one: the {@code meterRegistry} option; else a {@code CompositeMeterRegistry} named {@code metricsRegistry}, else
     * the only one; else a {@code MeterRegistry} named {@code metricsRegistry}, else the only one; else a new
     * {@code SimpleMeterRegistry}, bound as {@code metricsRegistry} for camel-micrometer to find in turn.
     */
    private MeterRegistry resolveMeterRegistry() {
        if (meterRegistry != null) {
            return meterRegistry;
        }
        // Looked up now rather than only autowired: the registry may have been bound after the component was created.
        Registry registry = getCamelContext().getRegistry();
        MeterRegistry found = namedOrOnly(registry, CompositeMeterRegistry.class);
        if (found == null) {
            found = namedOrOnly(registry, MeterRegistry.class);
        }
        if (found == null) {
            found = new SimpleMeterRegistry();
            registry.bind(METRICS_REGISTRY_NAME, found);
        }
        return found;
    }

    private static MeterRegistry namedOrOnly(Registry registry, Class<? extends MeterRegistry> type) {
        MeterRegistry named = registry.lookupByNameAndType(METRICS_REGISTRY_NAME, type);
        if (named != null) {
            return named;
        }
        Set<? extends MeterRegistry> all = registry.findByType(type);
        return all.size() == 1 ? all.iterator().next() : null;
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

    /**
     * Offers the memory's health check to camel-health's producer checks, where Camel's switches, counters and health
     * endpoints treat it like the checks of Camel's own producers. Each started producer adds it once and removes it
     * once when it stops; the registry lists a check once however often it was added, and it stays while any
     * producer of the memory runs.
     *
     * @return the check added, or null when there is no health-check registry (no camel-health) or it is disabled
     */
    synchronized HealthCheck addProducerHealthCheck(MemoryLocation location) {
        WritableHealthCheckRepository producerChecks = producerHealthChecks();
        if (producerChecks == null) {
            return null;
        }
        RobustMemoryHealthCheck check = monitor(location).healthCheck();
        check.setEnabled(isHealthCheckProducerEnabled());
        producerChecks.addHealthCheck(check);
        return check;
    }

    /** Withdraws one producer's offer of a check; null (nothing was added) is ignored. */
    synchronized void removeProducerHealthCheck(HealthCheck check) {
        WritableHealthCheckRepository producerChecks = check == null ? null : producerHealthChecks();
        if (producerChecks != null) {
            producerChecks.removeHealthCheck(check);
        }
    }

    /** camel-health's repository of producer checks, resolved (and registered) on first use, as Camel's own do. */
    private WritableHealthCheckRepository producerHealthChecks() {
        return HealthCheckHelper.getHealthCheckRepository(getCamelContext(), PRODUCER_HEALTH_CHECKS,
                WritableHealthCheckRepository.class);
    }
}
