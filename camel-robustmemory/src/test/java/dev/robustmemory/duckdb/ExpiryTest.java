package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.SessionRules;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.VersionConflictException;
import dev.robustmemory.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entries that expire, by a wall clock the test moves: what every operation sees, and what stays in the file. */
class ExpiryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();
    private static final Instant START = Instant.parse("2026-06-01T12:00:00Z");

    @TempDir
    Path directory;

    private final ManualClock clock = new ManualClock(START);

    private Path database() {
        return directory.resolve("memory.duckdb");
    }

    private DuckDbMemory open() throws Exception {
        return DuckDbMemory.open(StoreSettings.of(database()), clock);
    }

    @Test
    void anExpiredEntryIsAbsentToEveryOperationFromTheMomentItExpires() throws Exception {
        try (DuckDbMemory store = open()) {
            MemoryEntry written = store.execute(TIMEOUT, session -> {
                session.store("forever", StoredValue.text("f"), ANY_VERSION);
                session.store("later", StoredValue.text("l"), ANY_VERSION, Duration.ofSeconds(30));
                return session.store("soon", StoredValue.text("s"), ANY_VERSION, Duration.ofSeconds(10));
            }).result();
            assertEquals(START.plusSeconds(10), written.expiresAt().orElseThrow());

            clock.advance(Duration.ofSeconds(10).minusNanos(1_000));
            assertTrue(store.execute(TIMEOUT, session -> session.exists("soon")).result(), "alive until its time");
            clock.advance(Duration.ofNanos(1_000));
            assertExpiredEverywhere(store);
        }
        try (DuckDbMemory store = open()) { // from DuckDB and the journal now, not from what the lease knew
            assertExpiredEverywhere(store);
        }
    }

    private static void assertExpiredEverywhere(DuckDbMemory store) throws Exception {
        store.execute(TIMEOUT, session -> {
            assertEquals(Optional.empty(), session.load("soon"));
            assertFalse(session.exists("soon"));
            assertEquals(List.of("forever", "later"), session.keys(""));
            assertEquals(List.of(), session.keys("so"));
            assertEquals(2, session.size());
            assertEquals(List.of("later"), List.copyOf(session.loadAll(List.of("soon", "later")).keySet()));
            assertFalse(session.delete("soon"), "nothing to delete");
            assertEquals(List.of(), session.deleteAll(List.of("soon")));
            assertEquals(0, session.clear("so"));
            return null;
        });
    }

    @Test
    void anExpiredKeyIsWrittenAgainAsANewKeyWithAVersionNeverSeenBefore() throws Exception {
        try (DuckDbMemory store = open()) {
            long first = store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("1"), ANY_VERSION,
                    Duration.ofSeconds(1))).result().version();
            clock.advance(Duration.ofSeconds(1));
            MemoryEntry again = store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("2"),
                    OptionalLong.of(0))).result(); // "must not exist" holds for an expired key
            assertTrue(again.version() > first);
            assertEquals(Optional.empty(), again.expiresAt());
            assertThrows(VersionConflictException.class, () -> store.execute(TIMEOUT,
                    session -> session.store("k", StoredValue.text("3"), OptionalLong.of(first))));
        }
    }

    @Test
    void anIncrementKeepsTheKeysExpiryAndGivesAKeyItCreatesTheTimeToLive() throws Exception {
        Duration window = Duration.ofSeconds(60);
        try (DuckDbMemory store = open()) {
            store.execute(TIMEOUT, session -> session.increment("hits", 1, window));
            clock.advance(Duration.ofSeconds(59));
            MemoryEntry second = store.execute(TIMEOUT, session -> session.increment("hits", 1, window)).result();
            assertEquals("2", second.value().text());
            assertEquals(START.plus(window), second.expiresAt().orElseThrow(), "the window did not move");
            clock.advance(Duration.ofSeconds(1));
            MemoryEntry next = store.execute(TIMEOUT, session -> session.increment("hits", 1, window)).result();
            assertEquals("1", next.value().text(), "a new window counts from 0");
            assertEquals(START.plusSeconds(60).plus(window), next.expiresAt().orElseThrow());
        }
    }

    @Test
    void aTimeToLiveThatIsNotPositiveIsRefusedAndNothingIsWritten() throws Exception {
        try (DuckDbMemory store = open()) {
            for (Duration invalid : List.of(Duration.ZERO, Duration.ofMillis(-1))) {
                assertThrows(InvalidEntryException.class, () -> store.execute(TIMEOUT,
                        session -> session.store("k", StoredValue.text("v"), ANY_VERSION, invalid)));
                assertThrows(InvalidEntryException.class, () -> store.execute(TIMEOUT,
                        session -> session.storeAll(Map.of("k", StoredValue.text("v")), Map.of(), invalid)));
            }
            assertEquals(0, store.execute(TIMEOUT, MemorySession::size).result());
            MemoryEntry longest = store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("v"),
                    ANY_VERSION, Duration.ofSeconds(Long.MAX_VALUE))).result();
            assertEquals(SessionRules.LATEST_EXPIRY_MICROS, longest.expiresAtMicros(), "as good as never, no overflow");
        }
    }

    /**
     * The wall clock stepped back (NTP, an operator): the memory's time stands at the latest time it decided by, in
     * this process and the next, so what expired stays expired and new expiry times count from that time.
     */
    @Test
    void aWallClockSteppedBackBringsNothingBackInThisProcessOrTheNext() throws Exception {
        try (DuckDbMemory store = open()) {
            store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("v"), ANY_VERSION,
                    Duration.ofSeconds(10)));
            clock.advance(Duration.ofSeconds(20));
            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("k")).result());
            clock.set(START);
            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("k")).result());
        }
        try (DuckDbMemory store = open()) { // a new lease knows the time only from the journal's mark
            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("k")).result());
            MemoryEntry fresh = store.execute(TIMEOUT, session -> session.store("n", StoredValue.text("v"),
                    ANY_VERSION, Duration.ofSeconds(5))).result();
            assertEquals(START.plusSeconds(25), fresh.expiresAt().orElseThrow());
            assertEquals(SessionRules.micros(START.plusSeconds(20)), store.execute(TIMEOUT,
                    MemorySession::nowMicros).result());
        }
    }

    @Test
    void expiredRowsAreReclaimedFromTheFileWhileLiveOnesStay() throws Exception {
        try (DuckDbMemory store = open()) {
            store.execute(TIMEOUT, session -> {
                for (int i = 0; i < 500; i++) {
                    session.store("gone/" + i, StoredValue.text("x".repeat(100)), ANY_VERSION, Duration.ofSeconds(1));
                }
                return session.store("kept", StoredValue.text("k"), ANY_VERSION, Duration.ofHours(1));
            });
            assertEquals(501, store.execute(TIMEOUT, MemorySession::size).result()); // applied: rows in DuckDB
            clock.advance(Duration.ofSeconds(2));
            store.execute(TIMEOUT, session -> session.store("new", StoredValue.text("n"), ANY_VERSION));
        } // the last lease applies its writes, and with them reclaims
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database());
             Statement statement = connection.createStatement();
             ResultSet keys = statement.executeQuery("SELECT key FROM " + Schema.ENTRIES + " ORDER BY key")) {
            List<String> rows = new java.util.ArrayList<>();
            while (keys.next()) {
                rows.add(keys.getString(1));
            }
            assertEquals(List.of("kept", "new"), rows);
        }
    }

    @Test
    void aFileOfTheSchemaBeforeExpiryIsUpgradedAndItsEntriesNeverExpire() throws Exception {
        try (DuckDbMemory store = open()) {
            store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("v"), ANY_VERSION));
        }
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database());
             Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE " + Schema.ENTRIES + " DROP COLUMN expires_at"); // as version 3 left it
            statement.execute("UPDATE " + Schema.META + " SET value = 3 WHERE name = 'schema_version'");
        }
        try (DuckDbMemory store = open()) {
            clock.advance(Duration.ofDays(365));
            assertEquals(Optional.of(StoredValue.text("v")), store.execute(TIMEOUT,
                    session -> session.load("k").map(MemoryEntry::value)).result());
            store.execute(TIMEOUT, session -> session.store("e", StoredValue.text("v"), ANY_VERSION,
                    Duration.ofSeconds(1)));
        }
    }
}
