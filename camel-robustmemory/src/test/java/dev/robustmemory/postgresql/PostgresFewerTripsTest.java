package dev.robustmemory.postgresql;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import dev.robustmemory.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The grant and the meta read in one round trip (a statement after a wait for the token row still sees what the
 * previous holder committed), and reading works in a read-only snapshot without the token row, with the clock rule
 * that keeps an expired value from coming back.
 */
class PostgresFewerTripsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();

    private final DataSource dataSource = EmbeddedPostgresServer.dataSource();
    private final String prefix = EmbeddedPostgresServer.uniquePrefix("trips");
    private final List<PostgresMemory> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(PostgresMemory::close);
    }

    private PostgresMemory open(ManualClock clock) {
        PostgresMemory memory = PostgresMemory.open(dataSource, prefix, 1024 * 1024, clock);
        opened.add(memory);
        return memory;
    }

    /**
     * A work that waited for the token row reads the meta state in the same round trip as its grant: it must see the
     * revision and clock mark the holder committed while it waited, not what stood before its wait.
     */
    @Test
    void aWorkThatWaitedForTheTokenRowSeesWhatItsPredecessorCommitted() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
        PostgresMemory holder = open(clock);
        PostgresMemory waiter = open(clock);
        holder.execute(TIMEOUT, session -> session.store("k", StoredValue.text("v0"), ANY_VERSION));
        for (int round = 0; round < 3; round++) {
            String value = "v" + (round + 1);
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Long> held = CompletableFuture.supplyAsync(() -> {
                try {
                    return holder.execute(TIMEOUT, session -> {
                        session.store("k", StoredValue.text(value), ANY_VERSION, Duration.ofHours(1));
                        holding.countDown();
                        try {
                            assertTrue(release.await(30, TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return session.revision();
                    }).result();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(holding.await(30, TimeUnit.SECONDS));
            CompletableFuture<long[]> waited = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiter.execute(TIMEOUT, session -> new long[] {session.revision(),
                            session.load("k").map(MemoryEntry::version).orElse(-1L)}).result();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitWaitingForTheTokenRow();
            release.countDown();
            long committedRevision = held.get(30, TimeUnit.SECONDS);
            long[] seen = waited.get(30, TimeUnit.SECONDS);
            assertEquals(committedRevision, seen[0], "the revision after the wait");
            assertEquals(committedRevision, seen[1], "the entry after the wait");
        }
    }

    /** A reading work neither takes nor waits for the token row, and sees only committed works. */
    @Test
    void aReadingWorkRunsWhileAnotherHoldsTheTokenRow() throws Exception {
        PostgresMemory memory = open(null);
        Outcome<MemoryEntry> stored = memory.execute(TIMEOUT, session -> session.store("k", StoredValue.text("before"),
                ANY_VERSION));
        try (Connection holder = dataSource.getConnection(); Statement statement = holder.createStatement()) {
            holder.setAutoCommit(false);
            statement.execute("UPDATE " + prefix + "meta SET value = value + 1 WHERE name = 'fencing_token'");
            statement.execute("UPDATE " + prefix + "entries SET text_value = 'uncommitted'");
            Outcome<Optional<MemoryEntry>> read = memory.execute(Duration.ZERO,
                    MemoryWork.reading(session -> session.load("k")));
            assertEquals("before", read.result().orElseThrow().value().text());
            assertEquals(stored.fencingToken(), read.fencingToken(), "the newest committed grant's token");
            assertEquals(stored.result().version(), memory.execute(Duration.ZERO,
                    MemoryWork.reading(session -> session.revision())).result());
            assertThrows(PostgresLockTimeoutException.class, () -> memory.execute(Duration.ZERO,
                    session -> session.load("k")), "a work that is not marked reading still takes the row");
            holder.rollback();
        }
    }

    /** A reading work that writes after all runs again with the grant, as on DuckDB: its write lands once. */
    @Test
    void aReadingWorkThatWritesRunsAgainWithTheGrant() throws Exception {
        PostgresMemory memory = open(null);
        Outcome<MemoryEntry> written = memory.execute(TIMEOUT, MemoryWork.reading(session -> {
            try {
                session.store("k", StoredValue.text("first"), ANY_VERSION);
            } catch (Exception swallowed) {
                // a work that catches the refusal is still run again
            }
            return session.increment("n", 1, null);
        }));
        assertEquals(1, Long.parseLong(written.result().value().text()));
        assertEquals("first", memory.execute(TIMEOUT, MemoryWork.reading(session -> session.load("k"))).result()
                .orElseThrow().value().text());
        assertEquals(2, memory.execute(TIMEOUT, MemoryWork.reading(session -> session.revision())).result());
        assertThrows(IllegalStateException.class, () -> memory.execute(TIMEOUT, MemoryWork.reading(session -> {
            session.requireNewestGrant("some-lock", 1);
            return null;
        })));
    }

    /**
     * The clock rule: a reading work cannot raise the clock mark, so one that meets an entry expired after the mark
     * runs with the grant, which raises it; with the server clock stepped back afterwards, the value stays expired
     * for loads, keys and size alike.
     */
    @Test
    void anEntryExpiredAfterTheClockMarkIsJudgedWithTheGrantSoItNeverComesBack() throws Exception {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        ManualClock clock = new ManualClock(start);
        PostgresMemory memory = open(clock);
        memory.execute(TIMEOUT, session -> session.store("k", StoredValue.text("v"), ANY_VERSION,
                Duration.ofSeconds(10)));
        memory.execute(TIMEOUT, session -> session.store("forever", StoredValue.text("f"), ANY_VERSION));
        assertEquals(clock.micros(), clockMark());

        clock.advance(Duration.ofSeconds(5)); // still live: the reader answers without the grant, the mark stays
        assertTrue(memory.execute(TIMEOUT, MemoryWork.reading(session -> session.load("k"))).result().isPresent());
        assertEquals(new ManualClock(start).micros(), clockMark());

        clock.advance(Duration.ofSeconds(15)); // 20 s: expired after the mark
        long late = clock.micros();
        assertFalse(memory.execute(TIMEOUT, MemoryWork.reading(session -> session.load("k"))).result().isPresent());
        assertEquals(late, clockMark(), "the load that saw it expire ran with the grant and raised the mark");

        clock.set(start.plusSeconds(5)); // the server's clock stepped back: time stands at the mark
        assertFalse(memory.execute(TIMEOUT, MemoryWork.reading(session -> session.load("k"))).result().isPresent());
        assertEquals(List.of("forever"), memory.execute(TIMEOUT, MemoryWork.reading(session -> session.keys("")))
                .result());
        assertEquals(1, memory.execute(TIMEOUT, MemoryWork.reading(session -> session.size())).result());
        assertEquals(late, clockMark());
    }

    /** keys and size meet the rule too: each, alone, raises the mark when it meets an entry expired after it. */
    @Test
    void keysAndSizeFollowTheClockRule() throws Exception {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        ManualClock clock = new ManualClock(start);
        PostgresMemory memory = open(clock);
        memory.execute(TIMEOUT, session -> session.store("a", StoredValue.text("v"), ANY_VERSION,
                Duration.ofSeconds(10)));
        memory.execute(TIMEOUT, session -> session.store("b", StoredValue.text("v"), ANY_VERSION,
                Duration.ofSeconds(30)));
        clock.advance(Duration.ofSeconds(20));
        assertEquals(List.of("b"), memory.execute(TIMEOUT, MemoryWork.reading(session -> session.keys(""))).result());
        assertEquals(clock.micros(), clockMark(), "keys met 'a' expired after the mark");
        clock.set(start);
        assertEquals(List.of("b"), memory.execute(TIMEOUT, MemoryWork.reading(session -> session.keys(""))).result());
        clock.set(start.plusSeconds(40));
        assertEquals(0, memory.execute(TIMEOUT, MemoryWork.reading(session -> session.size())).result());
        assertEquals(clock.micros(), clockMark(), "size met 'b' expired after the mark");
        clock.set(start);
        assertEquals(0, memory.execute(TIMEOUT, MemoryWork.reading(session -> session.size())).result());
        assertEquals(List.of(), memory.execute(TIMEOUT, MemoryWork.reading(session -> session.keys(""))).result());
    }

    private long clockMark() throws Exception {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT value FROM " + prefix + "meta WHERE name = 'clock_mark'")) {
            row.next();
            return row.getLong(1);
        }
    }

    /** Until a backend of this memory waits for a row lock: the waiter is queued behind the holder. */
    private void awaitWaitingForTheTokenRow() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet row = statement.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE"
                        + " wait_event_type = 'Lock' AND query LIKE '%" + prefix + "meta%'")) {
                    row.next();
                    if (row.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(10);
            }
        }
        throw new AssertionError("No work waited for the token row");
    }
}
