package dev.robustmemory.postgresql;

import dev.robustmemory.memory.MemoryChange;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PostgreSQL backend's own ways: the token row as the lock, its timeout, terminated backends, many clients. */
class PostgresMemoryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();

    private final DataSource dataSource = EmbeddedPostgresServer.dataSource();
    private final String prefix = EmbeddedPostgresServer.uniquePrefix("memory");
    private final List<PostgresMemory> opened = new ArrayList<>();
    private PostgresMemory memory;

    @BeforeEach
    void open() {
        memory = another();
    }

    @AfterEach
    void close() {
        opened.forEach(PostgresMemory::close);
    }

    /** Another client of the same memory: what a second host would open. */
    private PostgresMemory another() {
        PostgresMemory client = PostgresMemory.open(dataSource, prefix, 1024 * 1024);
        opened.add(client);
        return client;
    }

    @Test
    void aWorkWaitsForTheTokenRowAndGivesUpAtItsTimeoutWritingNothing() throws Exception {
        memory.execute(TIMEOUT, session -> session.store("k", StoredValue.text("before"), ANY_VERSION));
        try (Connection holder = dataSource.getConnection(); Statement statement = holder.createStatement()) {
            holder.setAutoCommit(false);
            statement.execute("UPDATE " + prefix + "meta SET value = value + 1 WHERE name = 'fencing_token'");
            for (Duration timeout : List.of(Duration.ofMillis(200), Duration.ZERO)) {
                assertThrows(PostgresLockTimeoutException.class, () -> memory.execute(timeout,
                        session -> session.store("k", StoredValue.text("never"), ANY_VERSION)));
            }
            holder.rollback();
        }
        assertEquals("before", text(memory, "k"));
    }

    /**
     * A backend killed in the middle of a work (pg_terminate_backend): the work fails, its writes are gone, the row
     * lock with them, and the next work runs.
     */
    @Test
    void aWorkWhoseBackendIsTerminatedFailsAndLeavesNothingHeldOrWritten() throws Exception {
        CountDownLatch inWork = new CountDownLatch(1);
        CountDownLatch terminated = new CountDownLatch(1);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<Outcome<MemoryEntry>> doomed = thread.submit(() -> memory.execute(TIMEOUT, session -> {
                MemoryEntry written = session.store("k", StoredValue.text("lost"), ANY_VERSION);
                inWork.countDown();
                try {
                    terminated.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return written;
            }));
            inWork.await();
            try (Connection admin = dataSource.getConnection(); Statement statement = admin.createStatement()) {
                // the backend whose transaction holds this memory's token row: only this test's
                statement.execute("SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_class c"
                                  + " ON l.relation = c.oid WHERE c.relname = '" + prefix + "meta'"
                                  + " AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()");
            }
            terminated.countDown();
            Exception failed = assertThrows(Exception.class, doomed::get);
            assertTrue(failed.getCause() instanceof StoreException, failed.toString());
        } finally {
            thread.shutdownNow();
        }
        assertEquals(Optional.empty(), memory.execute(Duration.ofSeconds(5), session -> session.load("k")).result());
    }

    /** Several clients (hosts, as far as the memory can tell) increment one counter: no increment lost or doubled. */
    @Test
    void clientsIncrementingTogetherEachGetADifferentValueAndNoneIsLost() throws Exception {
        List<PostgresMemory> clients = List.of(memory, another(), another());
        ExecutorService threads = Executors.newFixedThreadPool(6);
        try {
            List<CompletableFuture<Long>> sums = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                PostgresMemory client = clients.get(i % clients.size());
                sums.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return Long.parseLong(client.execute(TIMEOUT, session -> session.increment("n", 1))
                                .result().value().text());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, threads));
            }
            Set<Long> seen = new HashSet<>();
            for (CompletableFuture<Long> sum : sums) {
                seen.add(sum.join());
            }
            assertEquals(300, seen.size(), "every increment saw its own sum");
            assertEquals("300", text(memory, "n"));
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void fencingTokensGrowWithEveryWorkOfEveryClient() throws Exception {
        long first = memory.execute(TIMEOUT, session -> null).fencingToken();
        long second = another().execute(TIMEOUT, session -> null).fencingToken();
        long third = memory.execute(TIMEOUT, session -> session.fencingToken()).result();
        assertTrue(first < second && second < third, first + " " + second + " " + third);
    }

    @Test
    void theChangeLogHoldsEveryCommittedChangeInOrder() throws Exception {
        long start = memory.execute(TIMEOUT, session -> session.keepChanges(Duration.ofDays(1))).result();
        memory.execute(TIMEOUT, session -> {
            session.store("a", StoredValue.text("1"), ANY_VERSION);
            return session.store("a", StoredValue.text("2"), ANY_VERSION);
        });
        another().execute(TIMEOUT, session -> session.clear("a"));
        List<String> changes = memory.execute(TIMEOUT, session -> session.changesAfter(
                MemoryChange.Position.afterRevision(start), null, 10)).result().stream()
                .map(change -> (change.revision() - start) + " " + change.key()
                               + change.entry().map(entry -> "=" + entry.value().text()).orElse(" deleted"))
                .toList();
        assertEquals(List.of("1 a=1", "2 a=2", "3 a deleted"), changes);
    }

    @Test
    void aPrefixThatIsNoPlainIdentifierIsRefused() {
        for (String invalid : List.of("", "Upper", "semi;colon", "1starts_with_digit", "x".repeat(42))) {
            assertThrows(IllegalArgumentException.class, () -> PostgresMemory.open(dataSource, invalid, 1024));
        }
    }

    @Test
    void tablesOfANewerSchemaAreRefused() throws Exception {
        memory.execute(TIMEOUT, session -> null);
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("UPDATE " + prefix + "meta SET value = 99 WHERE name = 'schema_version'");
        }
        StoreException refused = assertThrows(StoreException.class,
                () -> another().execute(TIMEOUT, session -> null));
        assertTrue(refused.getMessage().contains("schema version 99"), refused.getMessage());
    }

    private static String text(PostgresMemory memory, String key) throws Exception {
        return memory.execute(TIMEOUT, session -> session.load(key)).result().map(entry -> entry.value().text())
                .orElse(null);
    }
}
