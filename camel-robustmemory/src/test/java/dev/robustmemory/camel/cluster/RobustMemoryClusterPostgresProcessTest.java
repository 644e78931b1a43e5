package dev.robustmemory.camel.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.robustmemory.duckdb.lock.LockHistory;
import dev.robustmemory.duckdb.lock.MutualExclusionChecker;
import dev.robustmemory.testing.ChildJvm;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leader election on PostgreSQL between real, separate JVMs ({@link ClusterChild} in its {@code pg:} form, each with
 * its own pool), standing in for hosts: a clustered timer route runs in one JVM at a time; a leader killed with
 * {@code kill -9} is followed by another once its lease has ended; a leader stopped with {@code SIGSTOP} past its
 * lease is followed by another, and once resumed it sees that it no longer leads and stops its clustered route.
 *
 * <p>As in {@link RobustMemoryClusterProcessTest}, each tick of the route is logged with the fencing token the JVM's
 * view gives at that moment (-1: none) and {@code System.nanoTime()}; a leadership is the ticks of one JVM with one
 * token, from its first to its last, and {@link MutualExclusionChecker} judges them: no two overlap and tokens grow. A
 * token is only given while the grant is held by the JVM's own monotonic clock, which ends no later than the lease on
 * the server, so ticks with a token never overlap another leader's. What the lease allows, and the test measures, are
 * the ticks with -1 of a resumed leader between its resumption and its route's stop: it ran the route believing it
 * led, as any paused leader may; its token was no longer the newest, so its fenced writes would have been refused.
 */
class RobustMemoryClusterPostgresProcessTest {

    private static final String NAMESPACE = "orders";
    private static final Duration LEASE = Duration.ofMillis(1500);
    private static final Duration CHILD_WAIT = Duration.ofSeconds(30);
    /** The lease, a look at the grant, a poll of the waiters, and two loaded cores' worth of slack. */
    private static final Duration TAKEOVER_BOUND = LEASE.plus(RobustMemoryClusterView.GRANT_CHECK_INTERVAL)
            .plusSeconds(3);
    /** A resumed leader's step-down: a look at its grant, the route's stop, slack. */
    private static final Duration STEP_DOWN_BOUND = RobustMemoryClusterView.GRANT_CHECK_INTERVAL
            .plus(LEASE.dividedBy(3)).plusSeconds(2);

    @TempDir
    Path dir;
    private final String prefix = EmbeddedPostgresServer.uniquePrefix("cluster");
    private final String url = EmbeddedPostgresServer.jdbcUrl();
    private final List<Child> children = new ArrayList<>();
    private final BlockingQueue<Child> leaders = new LinkedBlockingQueue<>();
    private final ExecutorService watchers = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "cluster-child-watcher");
        thread.setDaemon(true);
        return thread;
    });

    /** A child JVM, its ticks file, a latch released at STARTED, its LEADER and ROUTE lines. */
    private record Child(ChildJvm jvm, Path ticks, CountDownLatch started, List<String> changes) {
    }

    private record Log(List<long[]> ticks, List<long[]> grants) {
    }

    @AfterEach
    void stopChildren() throws Exception {
        for (Child child : children) {
            if (child.jvm().process().isAlive()) {
                signal("CONT", child); // a child left stopped by a failed test
            }
            child.jvm().close();
        }
        watchers.shutdownNow();
    }

    @Test
    void oneOfThreeJvmsLeadsAtATimeAndAnotherLeadsOnceTheLeaseOfALeaderKilledWithKill9Ended() throws Exception {
        int kills = 2;
        for (int i = 0; i < 3; i++) {
            start();
        }
        for (Child child : children) {
            awaitStarted(child);
        }
        Child leader = nextLeader();
        List<Long> killedAt = new ArrayList<>();
        for (int k = 0; k < kills; k++) {
            killedAt.add(System.nanoTime());
            leader.jvm().kill9();
            Child next = nextLeader();
            assertNotEquals(leader, next);
            leader = next;
        }
        awaitTicks(leader, 3);

        Map<Long, Log> logs = readLogs();
        logs.forEach((pid, log) -> log.ticks().forEach(tick -> assertNotEquals(-1, tick[0],
                () -> "JVM " + pid + " ran the route while not leading")));
        MutualExclusionChecker.Verdict verdict = MutualExclusionChecker.check(leaderships(logs, Long.MAX_VALUE));
        assertTrue(verdict.valid(), () -> verdict.anomaly().orElseThrow());
        assertEquals(kills + 1, verdict.holds(), "one leadership before the first kill and one after each");

        List<Double> toGrant = millisAfter(killedAt, logs, false);
        List<Double> toTick = millisAfter(killedAt, logs, true);
        System.out.printf("PostgreSQL cluster (lease %d ms): kill -9 of the leader to the next leadership %s ms, to"
                          + " the new leader's first route tick %s ms%n", LEASE.toMillis(), rounded(toGrant),
                rounded(toTick));
        for (int k = 0; k < kills; k++) {
            assertTrue(toGrant.get(k) >= LEASE.toMillis() / 2.0, "led only once the lease ended: " + toGrant);
            assertTrue(toTick.get(k) < TAKEOVER_BOUND.toMillis(), "takeover within the lease and a poll: " + toTick);
        }
    }

    @Test
    void aLeaderStoppedPastItsLeaseIsFollowedByAnotherAndWhenResumedStepsDownAndStopsItsRoute() throws Exception {
        Child stale = start();
        awaitStarted(stale);
        assertEquals(stale, nextLeader());
        awaitChange(stale, "ROUTE Started", 0);
        Child next = start();
        awaitStarted(next);
        awaitTicks(stale, 3);

        long stopped = System.nanoTime();
        signal("STOP", stale);
        long resumed;
        try {
            assertEquals(next, nextLeader(), "the other JVM leads once the stopped leader's lease ended");
            awaitTicks(next, 3); // both are ticking now, as far as each knows, once the stopped one resumes
        } finally {
            resumed = System.nanoTime();
            signal("CONT", stale);
        }
        long notLeader = awaitChange(stale, "LEADER false", resumed);
        long routeStopped = awaitChange(stale, "ROUTE Stopped", resumed);
        awaitTicks(next, 3);
        assertTrue(leaders.isEmpty(), "the new leader leads on, the resumed one does not lead again");

        Map<Long, Log> logs = readLogs();
        long nextGrant = logs.get(next.jvm().pid()).grants().get(0)[1];
        double takeover = (nextGrant - stopped) / 1e6;
        double toNotLeader = (notLeader - resumed) / 1e6;
        double toRouteStopped = (routeStopped - resumed) / 1e6;
        // Ticks without a token: only the resumed leader's, only between its resumption and its route's stop.
        List<long[]> untokened = new ArrayList<>();
        logs.forEach((pid, log) -> log.ticks().stream().filter(tick -> tick[0] == -1).forEach(tick -> {
            assertEquals(stale.jvm().pid(), pid, "only the resumed JVM ran the route without a grant");
            // A tick that read the clock just before the stop and the view just after it counts from the stop.
            assertTrue(tick[1] >= stopped && tick[1] <= routeStopped, "only between its stop and its route's stop");
            untokened.add(tick);
        }));
        MutualExclusionChecker.Verdict verdict = MutualExclusionChecker.check(leaderships(logs, -1));
        assertTrue(verdict.valid(), () -> verdict.anomaly().orElseThrow());
        assertEquals(2, verdict.holds());
        long staleToken = logs.get(stale.jvm().pid()).grants().get(0)[0];
        long nextToken = logs.get(next.jvm().pid()).grants().get(0)[0];
        assertTrue(nextToken > staleToken, "the new leader's token is greater");
        System.out.printf("PostgreSQL cluster (lease %d ms): SIGSTOP of the leader to the next leadership %.0f ms"
                          + " (stopped %.0f ms); resumed, it saw it no longer led after %.0f ms and its route was"
                          + " stopped after %.0f ms, with %d ticks run meanwhile without a grant; tokens %d then %d%n",
                LEASE.toMillis(), takeover, (resumed - stopped) / 1e6, toNotLeader, toRouteStopped,
                untokened.size(), staleToken, nextToken);
        assertTrue(takeover >= LEASE.toMillis() / 2.0, "led only once the lease ended: " + takeover);
        assertTrue(takeover < TAKEOVER_BOUND.toMillis(), "led after the lease: " + takeover);
        assertTrue(toNotLeader < STEP_DOWN_BOUND.toMillis(), "noticed within a grant check: " + toNotLeader);
        assertTrue(toRouteStopped < STEP_DOWN_BOUND.toMillis(), "its route stopped: " + toRouteStopped);
    }

    private static void signal(String signal, Child child) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(child.jvm().pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
    }

    private Child start() throws IOException {
        Path ticks = dir.resolve("ticks-" + children.size());
        ChildJvm jvm = ChildJvm.start(dir.resolve("tmp"), ClusterChild.class, "clustered",
                "pg:" + prefix + ":" + LEASE.toMillis() + ":" + url, NAMESPACE, ticks.toString());
        Child child = new Child(jvm, ticks, new CountDownLatch(1), new CopyOnWriteArrayList<>());
        children.add(child);
        watchers.execute(() -> watch(child));
        return child;
    }

    /** Reads all the child prints (one reader per child) until it exits. */
    private void watch(Child child) {
        try {
            while (true) {
                String line = child.jvm().awaitLine("", CHILD_WAIT.multipliedBy(10));
                if (line.equals("STARTED")) {
                    child.started().countDown();
                } else if (line.startsWith("LEADS ") && !line.equals("LEADS -1")) {
                    leaders.add(child); // LEADS -1: ticks without a grant began, those of a resumed leader
                } else if (line.startsWith("LEADER ") || line.startsWith("ROUTE ")) {
                    child.changes().add(line);
                }
            }
        } catch (AssertionError | InterruptedException e) {
            // the child exited (killed by the test) or the test is over
        }
    }

    private void awaitStarted(Child child) throws InterruptedException {
        assertTrue(child.started().await(CHILD_WAIT.toMillis(), TimeUnit.MILLISECONDS),
                () -> "child " + child.jvm().pid() + " did not start: " + child.jvm().transcript());
    }

    private Child nextLeader() throws InterruptedException {
        Child leader = leaders.poll(CHILD_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(leader, () -> "no JVM began to run the route within " + CHILD_WAIT + ": "
                                    + children.stream().map(child -> child.jvm().pid() + " " + child.jvm().transcript())
                                            .toList());
        return leader;
    }

    /** The nanos of the child's first change line {@code what <nanos>} at or after {@code afterNanos}. */
    private static long awaitChange(Child child, String what, long afterNanos) throws InterruptedException {
        long deadline = System.nanoTime() + CHILD_WAIT.toNanos();
        while (true) {
            for (String line : child.changes()) {
                if (line.startsWith(what + " ")) {
                    long nanos = Long.parseLong(line.substring(what.length() + 1));
                    if (nanos - afterNanos >= 0) {
                        return nanos;
                    }
                }
            }
            assertTrue(System.nanoTime() < deadline, () -> "child " + child.jvm().pid() + " did not print " + what
                                                           + ": " + child.jvm().transcript());
            Thread.sleep(5);
        }
    }

    /** Waits until the child logged {@code count} more ticks with a token. */
    private static void awaitTicks(Child child, int count) throws Exception {
        long before = tokenedTicks(child);
        long deadline = System.nanoTime() + CHILD_WAIT.toNanos();
        while (tokenedTicks(child) < before + count) {
            assertTrue(System.nanoTime() < deadline, "child " + child.jvm().pid() + " does not tick");
            Thread.sleep(10);
        }
    }

    private static long tokenedTicks(Child child) throws IOException {
        if (!Files.exists(child.ticks())) {
            return 0;
        }
        return Files.readAllLines(child.ticks(), StandardCharsets.UTF_8).stream()
                .filter(line -> line.startsWith("TICK ") && !line.startsWith("TICK -1 ")).count();
    }

    private Map<Long, Log> readLogs() throws IOException {
        Map<Long, Log> logs = new LinkedHashMap<>();
        for (Child child : children) {
            Log log = new Log(new ArrayList<>(), new ArrayList<>());
            if (Files.exists(child.ticks())) {
                for (String line : Files.readAllLines(child.ticks(), StandardCharsets.UTF_8)) {
                    String[] fields = line.split(" ");
                    long[] entry = {Long.parseLong(fields[1]), Long.parseLong(fields[2])};
                    (fields[0].equals("TICK") ? log.ticks() : log.grants()).add(entry);
                }
            }
            logs.put(child.jvm().pid(), log);
        }
        return logs;
    }

    /** For each kill, the milliseconds to the first grant (or tick) of any JVM after it. */
    private static List<Double> millisAfter(List<Long> kills, Map<Long, Log> logs, boolean ticks) {
        List<Long> all = logs.values().stream().flatMap(log -> (ticks ? log.ticks() : log.grants()).stream())
                .map(entry -> entry[1]).toList();
        return kills.stream().map(kill -> (all.stream().mapToLong(Long::longValue).filter(nanos -> nanos > kill)
                .min().orElseThrow() - kill) / 1e6).toList();
    }

    private static List<Long> rounded(List<Double> millis) {
        return millis.stream().map(Math::round).toList();
    }

    /**
     * The leaderships as holds of the namespace: per JVM and token, ENTER at its first tick and EXIT at its last;
     * ticks with the token {@code skipped} are left out.
     */
    private static List<LockHistory.Event> leaderships(Map<Long, Log> logs, long skipped) {
        List<LockHistory.Event> events = new ArrayList<>();
        logs.forEach((pid, log) -> {
            Map<Long, long[]> spanByToken = new LinkedHashMap<>();
            for (long[] tick : log.ticks()) {
                if (tick[0] == skipped) {
                    continue;
                }
                spanByToken.merge(tick[0], new long[] {tick[1], tick[1]},
                        (span, one) -> new long[] {Math.min(span[0], one[0]), Math.max(span[1], one[1])});
            }
            spanByToken.forEach((token, span) -> {
                events.add(new LockHistory.Event(pid, NAMESPACE, LockHistory.Kind.ENTER, token, span[0]));
                events.add(new LockHistory.Event(pid, NAMESPACE, LockHistory.Kind.EXIT, token, span[1]));
            });
        });
        return events;
    }
}
