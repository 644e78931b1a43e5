package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.LockHistory;
import dev.robustmemory.duckdb.lock.MutualExclusionChecker;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.postgresql.PostgresMemory;
import dev.robustmemory.testing.ChildJvm;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lock policy on PostgreSQL between real, separate JVMs ({@link LockPolicyChild} in its {@code pg:} form), each
 * with its own Camel and its own connection pool, standing in for hosts: no lost update in a read-modify-write over
 * several route steps (and the same routes without the policy caught losing updates), a JVM killed with
 * {@code kill -9} inside the block (the next one enters when its lease ends, its write stays), and a JVM stopped with
 * {@code SIGSTOP} inside the block past its lease, whose fenced write is refused once it resumes.
 */
class RobustMemoryLockPolicyPostgresProcessTest {

    private static final Duration CHILD_START = Duration.ofSeconds(60);
    private static final Duration RUN = Duration.ofSeconds(120);
    private static final String NAME = "order-1";
    /** The lease of the crash tests: what a dead or stopped holder keeps the name for. */
    private static final Duration SHORT_LEASE = Duration.ofMillis(1500);
    /** The counter runs' lease: long beside a block, so a slow block on two loaded cores never outlives it. */
    private static final Duration COUNTER_LEASE = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private final String prefix = EmbeddedPostgresServer.uniquePrefix("lockpolicy");
    private final String url = EmbeddedPostgresServer.jdbcUrl();
    private final List<ChildJvm> children = new ArrayList<>();

    @AfterEach
    void stopChildren() throws Exception {
        for (ChildJvm child : children) {
            if (child.process().isAlive()) {
                signal("CONT", child.pid()); // a child left stopped by a failed test could not even be killed
            }
            child.close();
        }
    }

    @Test
    void aReadModifyWriteOverSeveralStepsLosesNoUpdateAndTheBlocksNeverOverlap() throws Exception {
        Run run = counterRun("locked", 3, 25, 3_000);

        assertTrue(run.verdict().valid(), run.verdict().anomaly().orElse(""));
        assertEquals(75, run.verdict().holds());
        assertEquals(75, run.acknowledged());
        assertEquals(run.acknowledged(), run.counter(), "no lost update");
    }

    @Test
    void theSameRoutesWithoutThePolicyLoseUpdatesAndTheCheckerSeesTheOverlap() throws Exception {
        Run run = counterRun("unlocked", 3, 25, 3_000);

        assertFalse(run.verdict().valid(), "the broken variant must be caught");
        assertTrue(run.verdict().anomaly().get().startsWith("Two holders at once"), run.verdict().anomaly().get());
        assertTrue(run.counter() < run.acknowledged(), "lost updates: " + run.counter() + " of "
                                                       + run.acknowledged());
    }

    /**
     * The first JVM writes inside its block and is killed there; the second, waiting meanwhile, enters once the dead
     * one's lease has ended (not before: it renewed a third of a lease before it died at the latest), finds the dead
     * one's write and writes after it.
     */
    @Test
    void aJvmKilledInsideTheBlockLetsTheNextOneInWhenItsLeaseEndsAndItsWriteStays() throws Exception {
        ChildJvm first = hold(SHORT_LEASE);
        long firstToken = enteredToken(first.awaitLine("ENTERED ", CHILD_START));
        first.tell("put order first");
        assertEquals("PUT", first.awaitLine("PUT", CHILD_START));
        ChildJvm second = hold(SHORT_LEASE);
        second.awaitLine("SENDING", CHILD_START);
        long killed = System.nanoTime();
        first.kill9();
        String entered = second.awaitLine("ENTERED ", Duration.ofSeconds(30));
        double millis = (enteredNanos(entered) - killed) / 1e6;
        System.out.printf("PostgreSQL: kill -9 inside a policy block to the next JVM's entry: %.0f ms (lease %d ms)%n",
                millis, SHORT_LEASE.toMillis());
        assertTrue(millis >= SHORT_LEASE.toMillis() / 2.0, "entered only once the lease ended: " + millis + " ms");
        assertTrue(millis < SHORT_LEASE.toMillis() + 3_000, "entered after the lease: " + millis + " ms");
        assertTrue(enteredToken(entered) > firstToken);
        assertEquals("first", load("order"), "the killed holder's acknowledged write is not lost");
        second.tell("write second");
        second.awaitLine("WROTE", Duration.ofSeconds(30));
        assertEquals(0, second.finish(Duration.ofSeconds(30)));
        assertEquals("second", load("order"));
    }

    /**
     * A JVM inside its block is stopped with SIGSTOP past its lease; a second JVM, waiting for the name, enters and
     * writes. Resumed, the stopped JVM still runs its block as if it held the name (nothing interrupts a block), but
     * its fenced write is refused while the newer holder is still inside its own, and the newer value stays.
     */
    @Test
    void aJvmStoppedInsideTheBlockPastItsLeaseIsRefusedWhenItResumesAndWrites() throws Exception {
        ChildJvm stale = hold(SHORT_LEASE);
        long staleToken = enteredToken(stale.awaitLine("ENTERED ", CHILD_START));
        stale.tell("put order stale-before-the-pause");
        stale.awaitLine("PUT", CHILD_START);
        ChildJvm newer = hold(SHORT_LEASE);
        newer.awaitLine("SENDING", CHILD_START);
        long stopped = System.nanoTime();
        signal("STOP", stale.pid());
        String entered;
        try {
            entered = newer.awaitLine("ENTERED ", Duration.ofSeconds(30));
            newer.tell("put order newer");
            newer.awaitLine("PUT", CHILD_START);
        } finally {
            signal("CONT", stale.pid());
        }
        long resumed = System.nanoTime();
        double millis = (enteredNanos(entered) - stopped) / 1e6;
        long newerToken = enteredToken(entered);
        System.out.printf("PostgreSQL: SIGSTOP inside a policy block to the next JVM's entry: %.0f ms (lease %d ms),"
                          + " stopped for %.0f ms%n", millis, SHORT_LEASE.toMillis(), (resumed - stopped) / 1e6);
        assertTrue(millis >= SHORT_LEASE.toMillis() / 2.0, "entered only once the lease ended: " + millis + " ms");
        assertTrue(newerToken > staleToken);

        stale.tell("write stale");
        String refused = stale.awaitLine("REFUSED ", CHILD_START);
        System.out.println("PostgreSQL: the resumed JVM's fenced write: " + refused);
        assertTrue(refused.startsWith("REFUSED dev.robustmemory.memory.FencedWriteException"), refused);
        assertTrue(refused.contains("with token " + staleToken + ", but the newest grant of that name has token "
                                    + newerToken), refused);
        assertEquals("newer", load("order"), "the refused write changed nothing");
        newer.tell("write newer-again");
        newer.awaitLine("WROTE", CHILD_START);
        assertEquals("newer-again", load("order"));
    }

    private record Run(MutualExclusionChecker.Verdict verdict, long acknowledged, long counter) {
    }

    private Run counterRun(String variant, int processes, int iterations, int holdMicros) throws Exception {
        List<ChildJvm> runners = new ArrayList<>();
        List<Path> histories = new ArrayList<>();
        for (int i = 0; i < processes; i++) {
            Path history = dir.resolve("history-" + i);
            histories.add(history);
            runners.add(start("counter", memory(COUNTER_LEASE), NAME, Integer.toString(iterations),
                    Integer.toString(holdMicros), history.toString(), variant));
        }
        for (ChildJvm child : runners) {
            child.awaitLine("READY", CHILD_START);
        }
        long started = System.nanoTime();
        for (ChildJvm child : runners) {
            child.tell("go");
        }
        long acknowledged = 0;
        List<LockHistory.Event> events = new ArrayList<>();
        for (int i = 0; i < processes; i++) {
            acknowledged += Long.parseLong(runners.get(i).awaitLine("DONE ", RUN).substring(5));
            assertEquals(0, runners.get(i).finish(Duration.ofSeconds(30)), runners.get(i).transcript().toString());
            events.addAll(LockHistory.read(histories.get(i), runners.get(i).pid()));
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Run run = new Run(MutualExclusionChecker.check(events), acknowledged, Long.parseLong(load("counter")));
        System.out.printf("PostgreSQL %s: %d JVMs x %d read-modify-writes (%d us slow step) in %.1f s: counter %d of"
                          + " %d acknowledged, %s%n", variant, processes, iterations, holdMicros, seconds,
                run.counter(), run.acknowledged(), run.verdict().anomaly().orElse("no overlap"));
        return run;
    }

    /** The child's memory argument: these tables, that lease. */
    private String memory(Duration lease) {
        return "pg:" + prefix + ":" + lease.toMillis() + ":" + url;
    }

    private ChildJvm hold(Duration lease) throws Exception {
        return start("hold", memory(lease), NAME);
    }

    private ChildJvm start(String... args) throws Exception {
        ChildJvm child = ChildJvm.start(dir.resolve("tmp"), LockPolicyChild.class, args);
        children.add(child);
        return child;
    }

    private static long enteredToken(String enteredLine) {
        return Long.parseLong(enteredLine.split(" ")[1]);
    }

    private static long enteredNanos(String enteredLine) {
        return Long.parseLong(enteredLine.split(" ")[2]);
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
    }

    private String load(String key) throws Exception {
        try (Memory memory = PostgresMemory.open(EmbeddedPostgresServer.dataSource(), prefix,
                StoreSettings.DEFAULT_MAX_VALUE_SIZE)) {
            return memory.execute(Duration.ofSeconds(30), session -> session.load(key)).result().orElseThrow()
                    .value().text();
        }
    }
}
