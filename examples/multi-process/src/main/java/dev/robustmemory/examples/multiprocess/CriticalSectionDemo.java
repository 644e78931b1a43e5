package dev.robustmemory.examples.multiprocess;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The critical-section demo: three JVMs run the same YAML route ({@code routes/deposit.yaml}), each depositing into
 * one shared account by a read-modify-write over three route steps with a slow step in the middle.
 *
 * <ol>
 * <li>First with a policy that locks nothing: the processes overwrite each other's deposits, and the balance grows
 *     by less than the deposits acknowledged.</li>
 * <li>Then with {@code RobustMemoryLockPolicy} around the steps: while one exchange is between its load and its
 *     store, no other process of the host is. One worker is killed with {@code kill -9} inside the block, holding
 *     the lock: the kernel frees it, the next worker enters at once (the demo measures how soon), and the balance
 *     equals the deposits acknowledged (plus at most the killed worker's one in flight).</li>
 * </ol>
 */
public final class CriticalSectionDemo {

    static final int WORKERS = 3;
    static final int DEPOSITS_PER_WORKER = 60;
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    /** Time for the workers' JVMs to start before their timers fire together. */
    private static final Duration START_LEAD = Duration.ofSeconds(6);
    /** The victim is killed at its next entry into the block after this many of its deposits were acknowledged. */
    private static final int ACKS_BEFORE_KILL = 10;

    private final Path database;
    private final PrintStream out;

    public CriticalSectionDemo(Path database, PrintStream out) {
        this.database = database.toAbsolutePath();
        this.out = out;
    }

    /** Runs the demo on {@code target/critical-section.duckdb}; exits with 1 if the locked run lost anything. */
    public static void main(String[] args) throws Exception {
        CriticalSectionReport report =
                new CriticalSectionDemo(Path.of("target", "critical-section.duckdb"), System.out).run();
        System.exit(report.lockedRunLostNothing() ? 0 : 1);
    }

    public CriticalSectionReport run() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            ProducerTemplate template = camel.createProducerTemplate();

            long start = balance(template);
            out.printf("The balance is %d. Run 1: %d workers deposit %d each WITHOUT a lock.%n", start, WORKERS,
                    Teller.DEPOSIT);
            List<Worker> unlocked = startWorkers("noLock", "unlocked");
            long unlockedAcks = awaitAll(unlocked);
            long afterUnlocked = balance(template);
            out.printf("Without the lock: %d deposits acknowledged, but the balance grew by %d: %d deposits were"
                       + " overwritten by another process between its load and its store.%n",
                    unlockedAcks, afterUnlocked - start, unlockedAcks - (afterUnlocked - start) / Teller.DEPOSIT);

            out.printf("Run 2: the same route with RobustMemoryLockPolicy around the three steps; one worker is"
                       + " killed with SIGKILL inside the block.%n");
            List<Worker> locked = startWorkers("accountLock", "locked");
            long takeoverMicros = killInsideTheBlock(locked.get(WORKERS - 1), locked.subList(0, WORKERS - 1));
            long lockedAcks = awaitAll(locked);
            long afterLocked = balance(template);

            CriticalSectionReport report = new CriticalSectionReport(unlockedAcks, afterUnlocked - start, lockedAcks,
                    afterLocked - afterUnlocked, takeoverMicros);
            report.print(out);
            return report;
        }
    }

    private List<Worker> startWorkers(String policy, String run) throws Exception {
        String startAt = OffsetDateTime.now().plus(START_LEAD)
                .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"));
        List<Worker> workers = new ArrayList<>();
        for (int i = 1; i <= WORKERS; i++) {
            workers.add(Worker.start(run + "-" + i, DepositWorker.class, Map.of("memory.database", database,
                    "deposit.lock", policy, "deposits", DEPOSITS_PER_WORKER, "deposit.start", startAt), false, out));
        }
        return workers;
    }

    /**
     * Kills {@code victim} when it next enters the block, then waits for another worker to enter it.
     *
     * @return microseconds from the kill to the next entry
     */
    private long killInsideTheBlock(Worker victim, List<Worker> others) throws Exception {
        victim.awaitAcks(ACKS_BEFORE_KILL, PATIENCE);
        CountDownLatch entered = new CountDownLatch(1);
        victim.watch(line -> {
            if (line.contains("ENTER ") && entered.getCount() > 0) {
                entered.countDown();
            }
        });
        AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
        AtomicLong nextEntryAt = new AtomicLong();
        CountDownLatch nextEntry = new CountDownLatch(1);
        for (Worker other : others) {
            other.watch(line -> {
                long now = System.nanoTime();
                if (line.contains("ENTER ") && now > killedAt.get() && nextEntryAt.compareAndSet(0, now)) {
                    nextEntry.countDown();
                }
            });
        }
        if (!entered.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(victim.name() + " did not enter the block again within " + PATIENCE);
        }
        killedAt.set(System.nanoTime());
        victim.kill9();
        if (!nextEntry.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("No worker entered the block within " + PATIENCE + " after the kill");
        }
        long micros = TimeUnit.NANOSECONDS.toMicros(nextEntryAt.get() - killedAt.get());
        out.printf("Killed %s (pid %d) with SIGKILL inside the block after %d acknowledged deposits; another worker"
                   + " was inside %.1f ms later.%n", victim.name(), victim.pid(), victim.acks(), micros / 1000.0);
        return micros;
    }

    /** Waits until every worker is done (a killed one is). @return the deposits acknowledged to them all */
    private static long awaitAll(List<Worker> workers) throws Exception {
        long acks = 0;
        for (Worker worker : workers) {
            try (worker) {
                worker.awaitExit(PATIENCE);
            }
            acks += worker.acks();
        }
        return acks;
    }

    private long balance(ProducerTemplate template) {
        Long value = template.requestBody("robustmemory:balance-4711?operation=load&lockTimeout=30s&database="
                                          + database, null, Long.class);
        return value == null ? 0 : value;
    }
}
