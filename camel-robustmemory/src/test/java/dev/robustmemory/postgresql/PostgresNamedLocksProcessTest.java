package dev.robustmemory.postgresql;

import com.zaxxer.hikari.HikariDataSource;
import dev.robustmemory.duckdb.lock.LockHistory;
import dev.robustmemory.duckdb.lock.MutualExclusionChecker;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.ChildJvm;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PostgreSQL named locks between real, separate JVMs, each with its own pool: holders killed with {@code kill -9}
 * while holding, and a holder stopped with {@code SIGSTOP} past its lease whose write, once resumed, is refused.
 */
class PostgresNamedLocksProcessTest {

    private static final Duration CHILD_START = Duration.ofSeconds(30);
    private static final String NAME = "order-4711";
    private static final Duration LEASE = Duration.ofMillis(1500);

    @TempDir
    Path dir;
    private final String prefix = EmbeddedPostgresServer.uniquePrefix("plocks");
    private final String url = EmbeddedPostgresServer.jdbcUrl();
    private HikariDataSource pool;
    private PostgresMemory memory;
    private PostgresNamedLocks locks;

    @BeforeEach
    void open() {
        pool = LockDatabases.pool(url, prefix + "test", 4);
        memory = PostgresMemory.open(pool, prefix, 1024 * 1024);
        locks = PostgresNamedLocks.open(pool, prefix, LEASE);
    }

    @AfterEach
    void close() {
        locks.close();
        memory.close();
        pool.close();
    }

    /**
     * Three JVMs take one name in turn, each hold a fenced write; two of them are killed with {@code kill -9} while
     * holding, and after the last kill this JVM takes the name too. The merged history has no two holds at once and growing tokens, a dead holder's name is taken over
     * after its lease (not before), and the fenced writes are exactly the ones acknowledged, in token order.
     */
    @Test
    void jvmsKilledWhileHoldingLoseTheNameAtTheEndOfTheirLeaseAndNoTwoHoldAtOnce() throws Exception {
        int iterations = 25;
        int[] stuckAt = {4, 10, -1};
        List<ChildJvm> children = new ArrayList<>();
        List<Path> histories = new ArrayList<>();
        try {
            for (int i = 0; i < stuckAt.length; i++) {
                Path history = dir.resolve("history-" + i);
                histories.add(history);
                children.add(ChildJvm.start(dir.resolve("tmp"), PostgresLockChild.class, "contend", url, prefix, NAME,
                        Long.toString(LEASE.toMillis()), Integer.toString(iterations), history.toString(),
                        Integer.toString(stuckAt[i])));
            }
            for (ChildJvm child : children) {
                child.awaitLine("READY", CHILD_START);
            }
            for (ChildJvm child : children) {
                child.tell("go");
            }
            long acknowledged = 0;
            List<Long> kills = new ArrayList<>();
            List<Integer> stuck = new ArrayList<>(List.of(0, 1));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!stuck.isEmpty()) { // whichever gets stuck first is killed first: the others wait for it
                assertTrue(System.nanoTime() < deadline, "no child got stuck holding");
                for (Integer index : List.copyOf(stuck)) {
                    String line = pollLine(children.get(index), "STUCK ");
                    if (line != null) {
                        String[] fields = line.split(" ");
                        acknowledged += Long.parseLong(fields[2]);
                        children.get(index).kill9();
                        kills.add(System.nanoTime());
                        stuck.remove(index);
                    }
                }
            }
            // However far the third JVM got, a grant after the last kill: the test's own, also fenced, also logged.
            List<LockHistory.Event> events = new ArrayList<>();
            long self = ProcessHandle.current().pid();
            try (PostgresNamedLockGrant grant = locks.acquire(NAME, Duration.ofSeconds(30))) {
                events.add(new LockHistory.Event(self, NAME, LockHistory.Kind.ENTER, grant.token(), System.nanoTime()));
                PostgresLockChild.fencedCount(memory, NAME, grant.token());
                acknowledged++;
                events.add(new LockHistory.Event(self, NAME, LockHistory.Kind.EXIT, grant.token(),
                        Math.min(System.nanoTime(), grant.heldUntilNanos())));
            }
            String[] done = children.get(2).awaitLine("DONE ", Duration.ofSeconds(90)).split(" ");
            acknowledged += Long.parseLong(done[1]);
            long refused = Long.parseLong(done[2]);
            long clipped = Long.parseLong(done[3]);

            for (int i = 0; i < children.size(); i++) {
                events.addAll(LockHistory.read(histories.get(i), children.get(i).pid()));
            }
            MutualExclusionChecker.Verdict verdict = MutualExclusionChecker.check(events);
            assertTrue(verdict.valid(), verdict.anomaly().orElse(""));
            int expectedHolds = stuckAt[0] + 1 + stuckAt[1] + 1 + iterations + 1;
            assertEquals(expectedHolds, verdict.holds());

            List<String> takeOvers = new ArrayList<>();
            for (long killed : kills) {
                long next = events.stream().filter(e -> e.kind() == LockHistory.Kind.ENTER && e.nanos() > killed)
                        .mapToLong(LockHistory.Event::nanos).min().orElseThrow();
                double millis = (next - killed) / 1e6;
                takeOvers.add(String.format("%.0f ms", millis));
                // The dead holder renewed at most a third of a lease before it died: its lease ran two thirds more.
                assertTrue(millis >= LEASE.toMillis() / 2.0, "taken over only after its lease: " + millis + " ms");
                assertTrue(millis < LEASE.toMillis() + 5_000, "taken over after its lease: " + millis + " ms");
            }
            long writes = Long.parseLong(text(PostgresLockChild.WRITES));
            long maxToken = events.stream().mapToLong(LockHistory.Event::token).max().orElseThrow();
            assertEquals(acknowledged, writes, "the fenced writes are exactly the acknowledged ones");
            assertEquals(maxToken, Long.parseLong(text(PostgresLockChild.LAST_TOKEN)));
            System.out.printf("%d holds by 3 JVMs, 2 killed with kill -9 while holding: 0 anomalies, take-over %s after"
                              + " the kills (lease %d ms), %d fenced writes, %d refused, %d holds clipped%n",
                    verdict.holds(), takeOvers, LEASE.toMillis(), writes, refused, clipped);
        } finally {
            for (ChildJvm child : children) {
                child.close();
            }
        }
    }

    /**
     * A holder stopped with {@code SIGSTOP} past its lease, then resumed: it knows it no longer holds, and its fenced
     * write is refused, first with nobody else holding (the lease expired), then with a newer holder that wrote
     * meanwhile, whose value stays.
     */
    @Test
    void aHolderStoppedPastItsLeaseIsRefusedWhenItResumesAndWrites() throws Exception {
        try (ChildJvm child = ChildJvm.start(dir.resolve("tmp"), PostgresLockChild.class, "hold", url, prefix, NAME,
                Long.toString(LEASE.toMillis()))) {
            long first = token(child.awaitLine("HELD ", CHILD_START));
            child.tell("write first");
            child.awaitLine("WROTE", CHILD_START);

            // Stopped until its lease ended on the server; nobody takes the name meanwhile.
            signal("STOP", child.pid());
            awaitLeaseEnded();
            signal("CONT", child.pid());
            child.tell("write expired");
            assertEquals("ISHELD false", child.awaitLine("ISHELD ", CHILD_START));
            String expired = child.awaitLine("REFUSED ", CHILD_START);
            assertEquals(first, token(expired), expired);
            assertTrue(expired.contains("lease of that grant expired"), expired);

            // A new grant, stopped again: this time another holder takes the name and writes before it resumes.
            child.tell("acquire");
            long second = token(child.awaitLine("HELD ", CHILD_START));
            assertEquals(first + 1, second);
            signal("STOP", child.pid());
            long stopped = System.nanoTime();
            long newer;
            try (PostgresNamedLockGrant grant = locks.acquire(NAME, Duration.ofSeconds(10))) {
                newer = grant.token();
                double millis = (grant.acquiredAtNanos() - stopped) / 1e6;
                System.out.printf("SIGSTOP of the holder to the next grant: %.0f ms (lease %d ms)%n", millis,
                        LEASE.toMillis());
                assertEquals(second + 1, newer);
                memory.execute(Duration.ofSeconds(10), session -> {
                    session.requireNewestGrant(NAME, grant.token());
                    return session.store(PostgresLockChild.VALUE, StoredValue.text("newer"), OptionalLong.empty());
                });
                signal("CONT", child.pid());
                child.tell("write stale");
                assertEquals("ISHELD false", child.awaitLine("ISHELD ", CHILD_START));
                String refused = child.awaitLine("REFUSED ", CHILD_START);
                assertEquals(newer, token(refused), refused);
                assertTrue(grant.isHeld(), "the resumed child took nothing from the newer holder");
            }
            assertEquals("newer", text(PostgresLockChild.VALUE));
            child.tell("release");
            child.awaitLine("RELEASED", CHILD_START);
        }
    }

    private static String pollLine(ChildJvm child, String prefix) throws InterruptedException {
        try {
            return child.awaitLine(prefix, Duration.ofMillis(100));
        } catch (AssertionError notYet) {
            if (!child.process().isAlive()) {
                throw notYet;
            }
            return null;
        }
    }

    private void awaitLeaseEnded() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!LockDatabases.leaseEndedOnServer(pool, locks.table(), NAME)) {
            assertTrue(System.nanoTime() < deadline, "the stopped holder's lease did not end");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
    }

    private static long token(String line) {
        return Long.parseLong(line.split(" ")[1]);
    }

    private String text(String key) throws Exception {
        return memory.execute(Duration.ofSeconds(10), session -> session.load(key)).result().orElseThrow().value()
                .text();
    }
}
