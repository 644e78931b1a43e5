package dev.robustmemory.postgresql;

import com.zaxxer.hikari.HikariDataSource;
import dev.robustmemory.duckdb.lock.LockHistory;
import dev.robustmemory.duckdb.lock.MutualExclusionChecker;
import dev.robustmemory.memory.FencedWriteException;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.NamedLockTimeoutException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Named locks as lease rows on a real PostgreSQL server, within one JVM: several instances stand for several hosts. */
class PostgresNamedLocksTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    private static final Duration LEASE = Duration.ofSeconds(1);
    private static final String NAME = "order-4711";

    private final DataSource plain = EmbeddedPostgresServer.dataSource();
    private final String prefix = EmbeddedPostgresServer.uniquePrefix("locks");
    private final List<AutoCloseable> opened = new ArrayList<>();
    private HikariDataSource pool;
    private PostgresMemory memory;

    @BeforeEach
    void open() {
        pool = closing(LockDatabases.pool(prefix + "pool", 8));
        memory = closing(PostgresMemory.open(pool, prefix, 1024 * 1024));
    }

    @AfterEach
    void close() throws Exception {
        Collections.reverse(opened);
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        opened.add(closeable);
        return closeable;
    }

    /** Another client of the same locks: what another host would open. */
    private PostgresNamedLocks locks(DataSource dataSource, Duration lease) {
        return closing(PostgresNamedLocks.open(dataSource, prefix, lease));
    }

    @Test
    void threadsOfTwoInstancesNeverHoldOneNameAtOnceAndEveryFencedWritePasses() throws Exception {
        List<PostgresNamedLocks> hosts = List.of(locks(pool, LONG), locks(pool, LONG));
        int threads = 4;
        int iterations = 25;
        List<LockHistory.Event> history = Collections.synchronizedList(new ArrayList<>());
        ExecutorService workers = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long process = t;
                PostgresNamedLocks locks = hosts.get(t % hosts.size());
                done.add(workers.submit(() -> {
                    go.await();
                    for (int i = 0; i < iterations; i++) {
                        try (PostgresNamedLockGrant grant = locks.acquire(NAME, LONG)) {
                            history.add(new LockHistory.Event(process, NAME, LockHistory.Kind.ENTER, grant.token(),
                                    System.nanoTime()));
                            fencedIncrement(grant.token());
                            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(500_000));
                            history.add(new LockHistory.Event(process, NAME, LockHistory.Kind.EXIT, grant.token(),
                                    Math.min(System.nanoTime(), grant.heldUntilNanos())));
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> future : done) {
                future.get(120, TimeUnit.SECONDS);
            }
        } finally {
            workers.shutdownNow();
        }
        MutualExclusionChecker.Verdict verdict = MutualExclusionChecker.check(history);
        assertTrue(verdict.valid(), verdict.anomaly().orElse(""));
        assertEquals(threads * iterations, verdict.holds());
        assertEquals(threads * iterations, counter(), "every fenced write of a holder passed");
        long grants = hosts.stream().mapToLong(l -> l.statistics().grants()).sum();
        assertEquals(threads * iterations, grants);
        assertEquals(0, hosts.get(0).statistics().heldNow() + hosts.get(1).statistics().heldNow());
        System.out.printf("%d holds by %d threads of 2 instances: 0 anomalies; max wait %.1f ms%n", verdict.holds(),
                threads, hosts.stream().mapToLong(l -> l.statistics().maxWaitNanos()).max().getAsLong() / 1e6);
    }

    @Test
    void aTimeoutNamesTheHolderAndAZeroTimeoutTriesOnce() throws Exception {
        PostgresNamedLocks holderHost = locks(pool, LONG);
        PostgresNamedLocks other = locks(pool, LONG);
        try (PostgresNamedLockGrant held = holderHost.acquire(NAME, Duration.ZERO)) {
            long start = System.nanoTime();
            NamedLockTimeoutException timedOut = assertThrows(NamedLockTimeoutException.class,
                    () -> other.acquire(NAME, Duration.ofMillis(300)));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waited >= 300 && waited < 2_000, "waited " + waited + " ms");
            String message = timedOut.getMessage();
            assertTrue(message.contains("token " + held.token() + " to " + holderHost.holderId() + "#"), message);
            assertTrue(message.contains("since " + held.acquiredAt()) && message.contains("lease ending"), message);
            assertTrue(message.contains(prefix + "locks"), message);
            assertEquals(NAME, timedOut.name());

            start = System.nanoTime();
            assertThrows(NamedLockTimeoutException.class, () -> other.acquire(NAME, Duration.ZERO));
            long once = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(once < 500, "tried once: " + once + " ms");
            assertEquals(2, other.statistics().timeouts());
            assertEquals(0, other.statistics().waitingNow());
            try (PostgresNamedLockGrant another = other.acquire("order-4712", Duration.ZERO)) {
                assertTrue(another.isHeld(), "other names are free");
            }
            System.out.println("timeout message: " + message);
        }
    }

    /**
     * A timeout of a century, as a cluster view waits for its name: each attempt's row-lock wait is capped at what
     * PostgreSQL's lock_timeout (an int of milliseconds) takes, where it used to fail every attempt.
     */
    @Test
    void aTimeoutBeyondWhatLockTimeoutTakesStillGrantsAndWaits() throws Exception {
        PostgresNamedLocks holderHost = locks(pool, LONG);
        PostgresNamedLocks other = locks(pool, LONG);
        Duration forever = Duration.ofDays(365L * 100);
        long token;
        try (PostgresNamedLockGrant first = other.acquire(NAME, forever)) {
            token = first.token();
        }
        PostgresNamedLockGrant held = holderHost.acquire(NAME, Duration.ZERO);
        ExecutorService waiter = Executors.newSingleThreadExecutor();
        try {
            Future<Long> next = waiter.submit(() -> {
                try (PostgresNamedLockGrant grant = other.acquire(NAME, forever)) {
                    return grant.token();
                }
            });
            Thread.sleep(200);
            assertFalse(next.isDone(), "it waits for the holder");
            held.close();
            assertEquals(token + 2, next.get(10, TimeUnit.SECONDS));
        } finally {
            held.close();
            waiter.shutdownNow();
        }
    }

    @Test
    void tokensGrowPerNameAcrossReleasesAndNewInstances() throws Exception {
        List<Long> tokens = new ArrayList<>();
        for (int instance = 0; instance < 3; instance++) {
            PostgresNamedLocks locks = locks(instance == 1 ? plain : pool, LONG);
            for (int i = 0; i < 2; i++) {
                try (PostgresNamedLockGrant grant = locks.acquire(NAME, LONG)) {
                    tokens.add(grant.token());
                }
            }
            locks.close();
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), tokens, "one more each grant, from 1, in any instance");
        try (PostgresNamedLockGrant elsewhere = locks(pool, LONG).acquire("another name", LONG)) {
            assertEquals(1, elsewhere.token(), "each name has its own sequence");
        }
    }

    @Test
    void aReleaseLetsAWaiterOfAnotherInstanceInPromptly() throws Exception {
        PostgresNamedLocks first = locks(pool, LONG);
        PostgresNamedLocks second = locks(pool, LONG);
        PostgresNamedLockGrant held = first.acquire(NAME, LONG);
        CompletableFuture<PostgresNamedLockGrant> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return second.acquire(NAME, Duration.ofSeconds(10));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        awaitWaiting(second);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // let the waiter back off to its longest pause
        long released = System.nanoTime();
        held.close();
        assertFalse(held.isHeld());
        try (PostgresNamedLockGrant grant = waiter.get(10, TimeUnit.SECONDS)) {
            double millis = (grant.acquiredAtNanos() - released) / 1e6;
            System.out.printf("release to the waiter's grant in another instance: %.1f ms%n", millis);
            assertTrue(millis < 500, "promptly: " + millis + " ms");
            assertEquals(held.token() + 1, grant.token());
        }
        assertEquals(1, first.statistics().grants());
        assertTrue(first.statistics().maxHoldNanos() > 0);
    }

    /**
     * A holder cut off from the database (its renewals fail) keeps the name for its lease and no longer: then it
     * knows it lost it, and its fenced write is refused, first because its lease expired though nobody took the name,
     * then because a newer holder did.
     */
    @Test
    void aLeaseThatWasNotRenewedEndsAndTheFormerHoldersFencedWritesAreRefused() throws Exception {
        LockDatabases.PartitionedDataSource cutOff = new LockDatabases.PartitionedDataSource(pool);
        PostgresNamedLocks partitioned = locks(cutOff, LEASE);
        PostgresNamedLocks other = locks(pool, LEASE);
        PostgresNamedLockGrant old = partitioned.acquire(NAME, Duration.ZERO);
        fencedStore(old.token(), "old");
        long cut = System.nanoTime();
        cutOff.partition(true);
        assertThrows(NamedLockTimeoutException.class, () -> other.acquire(NAME, Duration.ZERO));

        while (old.isHeld()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        long notSure = System.nanoTime() - cut;
        assertTrue(notSure <= LEASE.toNanos(), "not sure any more within a lease of the cut: " + notSure / 1e6);
        while (!LockDatabases.leaseEndedOnServer(plain, other.table(), NAME)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        FencedWriteException expired = assertThrows(FencedWriteException.class, () -> fencedStore(old.token(), "x"));
        assertEquals(old.token(), expired.newestToken(), "nobody took the name yet");
        assertTrue(expired.getMessage().contains("lease of that grant expired"), expired.getMessage());

        try (PostgresNamedLockGrant newer = other.acquire(NAME, Duration.ZERO)) {
            assertEquals(old.token() + 1, newer.token());
            fencedStore(newer.token(), "newer");
            FencedWriteException superseded = assertThrows(FencedWriteException.class,
                    () -> fencedStore(old.token(), "stale"));
            assertEquals(newer.token(), superseded.newestToken());
            cutOff.partition(false);
            old.close(); // its release must not touch the newer grant
            assertTrue(newer.isHeld());
            assertThrows(NamedLockTimeoutException.class, () -> other.acquire(NAME, Duration.ZERO));
        }
        assertEquals("newer", text("value"));
        assertEquals(1, partitioned.lostGrants());
        assertTrue(partitioned.renewalFailures() > 0);
    }

    /** Renewals keep a holder exclusive for several leases, also after its service was closed (grants stay valid). */
    @Test
    void renewalKeepsAHolderExclusiveForThreeLeasesAndOutlivesTheClosingOfItsService() throws Exception {
        PostgresNamedLocks holderHost = locks(pool, LEASE);
        PostgresNamedLocks other = locks(pool, LEASE);
        PostgresNamedLockGrant grant = holderHost.acquire(NAME, Duration.ZERO);
        holderHost.close();
        assertThrows(IllegalStateException.class, () -> holderHost.acquire("another", Duration.ZERO));
        long start = System.nanoTime();
        assertThrows(NamedLockTimeoutException.class, () -> other.acquire(NAME, LEASE.multipliedBy(3)));
        assertTrue(System.nanoTime() - start >= LEASE.multipliedBy(3).toNanos());
        assertTrue(grant.isHeld());
        fencedStore(grant.token(), "still mine");
        System.out.printf("%d renewals in %.1f s with a lease of %d ms%n", holderHost.renewals(),
                (System.nanoTime() - start) / 1e9, LEASE.toMillis());
        assertTrue(holderHost.renewals() >= 6, "renewed every third of the lease: " + holderHost.renewals());
        grant.close();
        try (PostgresNamedLockGrant next = other.acquire(NAME, Duration.ofSeconds(1))) {
            assertEquals(grant.token() + 1, next.token());
        }
    }

    /**
     * Every backend of the holder's pool terminated, again and again: the grant lives in the row, not in a session,
     * so it is neither lost nor taken, and its renewals go on through new connections.
     */
    @Test
    void terminatingEveryBackendOfTheHoldersPoolLosesNothingAndRenewalGoesOn() throws Exception {
        String application = prefix + "victim";
        HikariDataSource victimPool = closing(LockDatabases.pool(application, 4));
        PostgresNamedLocks holderHost = locks(victimPool, LEASE);
        PostgresNamedLocks other = locks(pool, LEASE);
        try (PostgresNamedLockGrant grant = holderHost.acquire(NAME, Duration.ZERO)) {
            int terminated = 0;
            long end = System.nanoTime() + LEASE.multipliedBy(3).toNanos();
            while (System.nanoTime() - end < 0) {
                terminated += LockDatabases.terminateBackends(plain, application);
                assertThrows(NamedLockTimeoutException.class, () -> other.acquire(NAME, Duration.ZERO));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            long renewalsBefore = holderHost.renewals();
            assertTrue(grant.isHeld(), "survived: " + grant);
            System.out.printf("%d backends of the holder terminated over 3 leases: %d renewals, %d renewal"
                              + " failures, grant held%n", terminated, renewalsBefore, holderHost.renewalFailures());
            assertTrue(terminated > 0, "there were backends to terminate");
            assertTrue(renewalsBefore >= 5, "renewals went on: " + renewalsBefore);
            assertEquals(0, holderHost.lostGrants());
            try (PostgresNamedLockGrant second = holderHost.acquire("order-4712", Duration.ofSeconds(5))) {
                assertTrue(second.isHeld(), "acquiring through the pool works after the terminations");
            }
        }
        try (PostgresNamedLockGrant next = other.acquire(NAME, Duration.ofSeconds(1))) {
            assertTrue(next.isHeld(), "released through the pool after the terminations");
        }
    }

    @Test
    void invalidNamesAreRefusedEverywhere() throws Exception {
        PostgresNamedLocks locks = locks(pool, LONG);
        String tooLong = "é".repeat(512) + "x"; // 1025 UTF-8 bytes
        for (String name : new String[] {null, "", "a\0b", "bad \uD800 surrogate", tooLong}) {
            assertThrows(IllegalArgumentException.class, () -> locks.checkName(name));
            assertThrows(IllegalArgumentException.class, () -> locks.acquire(name, Duration.ZERO));
            assertThrows(IllegalArgumentException.class, () -> memory.execute(LONG, session -> {
                session.requireNewestGrant(name, 1);
                return null;
            }));
        }
        assertThrows(IllegalArgumentException.class, () -> locks.acquire(NAME, Duration.ofMillis(-1)));
        String longest = "é".repeat(512); // 1024 bytes
        try (PostgresNamedLockGrant grant = locks.acquire(longest, Duration.ZERO)) {
            fencedStore(longest, grant.token(), "fine");
        }
        assertThrows(IllegalArgumentException.class, () -> PostgresNamedLocks.open(pool, prefix, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> PostgresNamedLocks.open(pool, "Bad-Prefix", LEASE));
    }

    @Test
    void aReadingWorkMayNotAskForFencingAndUngrantedOrReleasedGrantsAreRefused() throws Exception {
        PostgresNamedLocks locks = locks(pool, LONG);
        PostgresNamedLockGrant grant = locks.acquire(NAME, Duration.ZERO);
        assertThrows(IllegalStateException.class, () -> memory.execute(LONG, MemoryWork.reading(session -> {
            session.requireNewestGrant(NAME, grant.token());
            return null;
        })));
        FencedWriteException never = assertThrows(FencedWriteException.class, () -> fencedStore("never", 1, "x"));
        assertEquals(0, never.newestToken());
        FencedWriteException future = assertThrows(FencedWriteException.class,
                () -> fencedStore(grant.token() + 1, "x"));
        assertTrue(future.getMessage().contains("never granted for this name"), future.getMessage());
        grant.close();
        FencedWriteException released = assertThrows(FencedWriteException.class,
                () -> fencedStore(grant.token(), "x"));
        assertTrue(released.getMessage().contains("released"), released.getMessage());
        assertEquals(0, counterOr("value"));
    }

    @Test
    void anInterruptedWaiterHoldsNothing() throws Exception {
        PostgresNamedLocks first = locks(pool, LONG);
        PostgresNamedLocks second = locks(pool, LONG);
        try (PostgresNamedLockGrant held = first.acquire(NAME, Duration.ZERO)) {
            Thread waiter = Thread.currentThread();
            CompletableFuture<Void> interrupter = CompletableFuture.runAsync(() -> {
                awaitWaiting(second);
                waiter.interrupt();
            });
            assertThrows(InterruptedException.class, () -> second.acquire(NAME, Duration.ofSeconds(10)));
            interrupter.get(10, TimeUnit.SECONDS);
            assertEquals(0, second.statistics().heldNow());
            assertEquals(0, second.statistics().waitingNow());
            assertTrue(held.isHeld());
        }
    }

    /**
     * The fence holds the name's row until the work commits: a taker whose lease check would pass waits for it, so
     * the fenced write is ordered before the next grant.
     */
    @Test
    void aFencedWorkHoldsBackTheNextGrantUntilItCommits() throws Exception {
        PostgresNamedLocks locks = locks(pool, Duration.ofMillis(300));
        PostgresNamedLocks other = locks(pool, Duration.ofMillis(300));
        PostgresNamedLockGrant grant = locks.acquire(NAME, Duration.ZERO);
        CountDownLatch checked = new CountDownLatch(1);
        CountDownLatch expired = new CountDownLatch(1);
        CompletableFuture<MemoryEntry> work = CompletableFuture.supplyAsync(() -> {
            try {
                return memory.execute(LONG, session -> {
                    session.requireNewestGrant(NAME, grant.token());
                    checked.countDown();
                    try {
                        expired.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return session.store("value", StoredValue.text("fenced"), OptionalLong.empty());
                }).result();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        checked.await();
        grant.close(); // its release waits for the work's row lock for a lease, then leaves it to the lease
        CompletableFuture<PostgresNamedLockGrant> taker = CompletableFuture.supplyAsync(() -> {
            try {
                return other.acquire(NAME, Duration.ofSeconds(10));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(600)); // past the lease: only the row lock holds it back
        assertFalse(taker.isDone(), "the taker waits for the fenced work");
        expired.countDown();
        MemoryEntry written = work.get(10, TimeUnit.SECONDS);
        try (PostgresNamedLockGrant next = taker.get(10, TimeUnit.SECONDS)) {
            assertEquals(grant.token() + 1, next.token());
            assertEquals(written.version(), memory.execute(LONG, s -> s.load("value")).result().orElseThrow()
                    .version(), "the next holder sees the fenced write");
        }
    }

    /**
     * The commit of a grant made on the server whose answer was lost: the acquisition asks the row, finds its own
     * attempt and adopts the grant; with no time left it releases that attempt instead, so nothing stays held.
     */
    @Test
    void aGrantWhoseCommitAnswerWasLostIsAdoptedOrReleased() throws Exception {
        LockDatabases.PartitionedDataSource lossy = new LockDatabases.PartitionedDataSource(pool);
        PostgresNamedLocks locks = locks(lossy, LONG);
        PostgresNamedLocks other = locks(pool, LONG);
        lossy.loseCommitAnswers(1);
        try (PostgresNamedLockGrant adopted = locks.acquire(NAME, Duration.ofSeconds(5))) {
            assertEquals(1, adopted.token(), "the grant made by the attempt whose answer was lost");
            assertTrue(adopted.isHeld());
            assertThrows(NamedLockTimeoutException.class, () -> other.acquire(NAME, Duration.ZERO));
            fencedStore(adopted.token(), "adopted");
        }
        lossy.loseCommitAnswers(1);
        assertThrows(dev.robustmemory.memory.StoreException.class, () -> locks.acquire(NAME, Duration.ZERO));
        assertEquals(0, locks.statistics().heldNow());
        try (PostgresNamedLockGrant next = other.acquire(NAME, Duration.ZERO)) {
            assertEquals(3, next.token(), "the unknown attempt (token 2) was released, not left to its lease");
        }
    }

    /** The tables of a memory made before named locks gain the locks table; its entries stay. */
    @Test
    void anExistingMemorysTablesGainTheLocksTable() throws Exception {
        memory.execute(LONG, session -> session.store("kept", StoredValue.text("yes"), OptionalLong.empty()));
        try (Connection connection = plain.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE " + prefix + "locks");
        }
        try (PostgresNamedLockGrant grant = locks(plain, LONG).acquire(NAME, Duration.ZERO)) {
            assertEquals(1, grant.token());
            PostgresMemory reopened = closing(PostgresMemory.open(pool, prefix, 1024));
            reopened.execute(LONG, session -> {
                session.requireNewestGrant(NAME, grant.token());
                return session.store("value", StoredValue.text("fenced"), OptionalLong.empty());
            });
        }
        assertEquals("yes", text("kept"));
        assertEquals("fenced", text("value"));
    }

    private void awaitWaiting(PostgresNamedLocks locks) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (locks.statistics().waitingNow() < 1) {
            assertTrue(System.nanoTime() < deadline, "the waiter did not start waiting");
            Thread.onSpinWait();
        }
    }

    private void fencedIncrement(long token) throws Exception {
        memory.execute(LONG, session -> {
            session.requireNewestGrant(NAME, token);
            return session.increment("counter", 1);
        });
    }

    private void fencedStore(long token, String value) throws Exception {
        fencedStore(NAME, token, value);
    }

    private void fencedStore(String name, long token, String value) throws Exception {
        memory.execute(LONG, session -> {
            session.requireNewestGrant(name, token);
            return session.store("value", StoredValue.text(value), OptionalLong.empty());
        });
    }

    private long counter() throws Exception {
        return counterOr("counter");
    }

    private long counterOr(String key) throws Exception {
        return memory.execute(LONG, session -> session.load(key)).result()
                .map(entry -> Long.parseLong(entry.value().text())).orElse(0L);
    }

    private String text(String key) throws Exception {
        return memory.execute(LONG, session -> session.load(key)).result().orElseThrow().value().text();
    }
}
