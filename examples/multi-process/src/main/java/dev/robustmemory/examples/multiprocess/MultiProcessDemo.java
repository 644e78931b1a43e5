package dev.robustmemory.examples.multiprocess;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.OwnerRecord;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The multi-process demo: several JVMs run the same YAML route ({@code routes/shared-counter.yaml}), each adding 1
 * to one shared counter in one DuckDB file, and one of them is killed with {@code kill -9} in the middle of an
 * increment. Afterwards the demo shows that nothing was lost, and what the component's cleanup consumer reports
 * about the killed process.
 *
 * <ol>
 * <li>Starts a worker that would go on for ever and, once it is incrementing, two that do
 *     {@value #INCREMENTS_PER_FINISHING_WORKER} increments each and exit. All three contend for the lock while the
 *     two run.</li>
 * <li>When the two have finished, kills the third with SIGKILL at a moment when it holds the lock: the launcher
 *     watches the lock file's owner record (what {@code cat <database>.lock} shows) until it names the third worker
 *     as a holder that has just taken the lock. The kill comes while nobody else wants the lock, so the dead
 *     holder's record stays in the lock file for the cleanup consumer to find.</li>
 * <li>Starts the cleanup consumer ({@code from("robustmemory:lock-events?database=...")}) and prints its ORPHANED
 *     event for the killed process.</li>
 * <li>Loads the counter: it must equal the number of increments the workers saw acknowledged, plus at most the
 *     killed worker's one increment in flight (committed before the kill, but never acknowledged).</li>
 * </ol>
 */
public final class MultiProcessDemo {

    static final int INCREMENTS_PER_FINISHING_WORKER = 30;
    static final int FINISHING_WORKERS = 2;
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    /** An owner record younger than this marks a holder early in its grant: the kill lands well before release. */
    private static final Duration JUST_ACQUIRED = Duration.ofMillis(5);

    private final Path database;
    private final PrintStream out;

    public MultiProcessDemo(Path database, PrintStream out) {
        this.database = database.toAbsolutePath();
        this.out = out;
    }

    /** Runs the demo on {@code target/multi-process.duckdb}; exits with 1 if anything was lost. */
    public static void main(String[] args) throws Exception {
        Report report = new MultiProcessDemo(Path.of("target", "multi-process.duckdb"), System.out).run();
        System.exit(report.nothingLost() ? 0 : 1);
    }

    public Report run() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            ProducerTemplate template = camel.createProducerTemplate();
            long before = counter(template);
            out.printf("The counter in %s is %d. Starting %d workers of routes/shared-counter.yaml.%n",
                    database, before, FINISHING_WORKERS + 1);

            List<Worker> workers = new ArrayList<>();
            try {
                // The one to be killed starts first and is already incrementing when the others start, so that all
                // of them contend for the lock while the others run. Its acknowledgements are shown only meanwhile.
                Worker victim = startCounting("worker-" + (FINISHING_WORKERS + 1), 0, false);
                victim.awaitFirstAck(PATIENCE);
                out.printf("%s is incrementing; starting the others.%n", victim.name());
                for (int i = 1; i <= FINISHING_WORKERS; i++) {
                    workers.add(startCounting("worker-" + i, INCREMENTS_PER_FINISHING_WORKER, true));
                }
                for (Worker finishing : workers) {
                    finishing.awaitFirstAck(PATIENCE);
                }
                victim.echoAcks(true);
                workers.add(victim);

                for (Worker finishing : workers.subList(0, FINISHING_WORKERS)) {
                    int exit = finishing.awaitExit(PATIENCE);
                    out.printf("%s (pid %d) finished with exit code %d after %d acknowledged increments.%n",
                            finishing.name(), finishing.pid(), exit, finishing.acks());
                }
                victim.echoAcks(false);
                out.printf("%s keeps incrementing alone (its acknowledgements are counted, not shown) until it is"
                           + " caught having just taken the lock.%n", victim.name());
                boolean diedHoldingLock = killWhileHolding(victim);

                Optional<Map<String, Object>> event = cleanupEvent(camel, victim.pid());
                long after = counter(template);
                Map<String, Integer> acks = new LinkedHashMap<>();
                Set<Long> ackedValues = new HashSet<>();
                for (Worker worker : workers) {
                    acks.put(worker.name(), worker.acks());
                    ackedValues.addAll(worker.ackedValues());
                }
                Report report = new Report(before, after, acks, ackedValues.size(), victim.pid(), diedHoldingLock,
                        event);
                report.print(out);
                return report;
            } finally {
                for (Worker worker : workers) {
                    worker.close();
                }
            }
        }
    }

    /** A {@link CounterWorker} doing {@code increments} increments, or going on until killed when 0. */
    private Worker startCounting(String name, int increments, boolean echoAcks) throws IOException {
        return Worker.start(name, CounterWorker.class,
                Map.of("memory.database", database, "increments", increments), echoAcks, out);
    }

    /**
     * Kills the worker as soon as the owner record shows it has just taken the lock.
     *
     * @return whether the lock file still names it as the holder after its death, i.e. it died holding the lock
     */
    private boolean killWhileHolding(Worker victim) throws Exception {
        CrossProcessLock lock = CrossProcessLock.open(StoreSettings.defaultLockFile(database),
                LockFileSettings.defaults());
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!justAcquiredBy(lock, victim.pid())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(victim.name() + " was not seen taking the lock within " + PATIENCE);
            }
            // a file that changes every few milliseconds: looking every fifth of a millisecond leaves the CPU to the
            // workers
            LockSupport.parkNanos(200_000);
        }
        victim.kill9();
        OwnerRecord record = lock.readOwnerRecord().asOptional().orElseThrow();
        boolean diedHolding = record.state() == OwnerRecord.State.HELD && record.holder().pid() == victim.pid();
        out.printf("Killed %s (pid %d) with SIGKILL after %d acknowledged increments, while it held the lock."
                   + " Its lock file now says: state=%s pid=%d.%n",
                victim.name(), victim.pid(), victim.acks(), record.state(), record.holder().pid());
        return diedHolding;
    }

    private static boolean justAcquiredBy(CrossProcessLock lock, long pid) throws Exception {
        return lock.readOwnerRecord().asOptional()
                .filter(record -> record.state() == OwnerRecord.State.HELD && record.holder().pid() == pid)
                .filter(record -> Duration.between(record.acquiredAt(), Instant.now()).compareTo(JUST_ACQUIRED) < 0)
                .isPresent();
    }

    /** Runs the cleanup consumer until it reports an event about {@code pid}; prints every event it reports. */
    private Optional<Map<String, Object>> cleanupEvent(CamelContext camel, long pid) throws Exception {
        BlockingQueue<Map<String, Object>> events = new LinkedBlockingQueue<>();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // polls the lock file every 100 ms, from the start
                from("robustmemory:lock-events?database=" + database + "&initialDelay=0&delay=100")
                        .routeId("lock-events")
                        .process(exchange -> events.add(new LinkedHashMap<>(exchange.getMessage().getHeaders())));
            }
        });
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Map<String, Object> event;
        while ((event = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) != null) {
            out.println("The cleanup consumer reports: " + event);
            if (Long.valueOf(pid).equals(event.get("CamelRobustMemoryHolderPid"))) {
                return Optional.of(event);
            }
        }
        out.println("The cleanup consumer reported nothing about pid " + pid + " within 10 seconds.");
        return Optional.empty();
    }

    private long counter(ProducerTemplate template) {
        Long value = template.requestBody("robustmemory:counter?operation=load&lockTimeout=30s&database=" + database,
                null, Long.class);
        return value == null ? 0 : value;
    }
}
