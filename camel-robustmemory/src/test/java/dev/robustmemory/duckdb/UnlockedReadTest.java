package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads answered without the lock, while someone else holds it: only what this JVM knows to be current. */
class UnlockedReadTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SHORT = Duration.ofMillis(200);

    @TempDir
    Path directory;

    @Test
    void aReadingWorkOnAKnownKeyIsAnsweredWhileTheLockIsHeldAndEverythingElseWaits() throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            long token = store.execute(TIMEOUT, session -> session.store("known", StoredValue.text("1"),
                    OptionalLong.empty())).fencingToken();
            try (LockGrant held = store.lock().acquire(TIMEOUT)) {
                Outcome<Optional<MemoryEntry>> read = store.execute(SHORT,
                        MemoryWork.reading(session -> session.load("known")));
                assertEquals(StoredValue.text("1"), read.result().orElseThrow().value());
                assertEquals(token, read.fencingToken(), "the token of the grant whose writes it read");
                assertEquals(true, store.execute(SHORT, MemoryWork.reading(session -> session.exists("known")))
                        .result());

                assertThrows(LockTimeoutException.class, () -> store.execute(SHORT, session -> session.load("known")),
                        "a work not marked as reading waits for the lock");
                assertEquals(Optional.empty(), store.execute(SHORT,
                        MemoryWork.reading(session -> session.load("never-seen"))).result(),
                        "a table this small was read whole: this JVM knows which keys are absent too");
                assertThrows(LockTimeoutException.class,
                        () -> store.execute(SHORT, MemoryWork.reading(MemorySession::size)), "so does size");
                assertThrows(LockTimeoutException.class, () -> store.execute(SHORT, MemoryWork.reading(session ->
                        session.store("known", StoredValue.text("2"), OptionalLong.empty()))),
                        "a reading work that writes runs again under the lock");
            }
            assertEquals(StoredValue.text("1"), store.execute(TIMEOUT, session -> session.load("known")).result()
                    .orElseThrow().value(), "what the refused work wrote was discarded");
        }
    }

    /**
     * A read without the lock takes effect before the holder's batch, which may go by an earlier time than the
     * reader's clock: a value that expired after the journal's clock mark must wait for the lock, one that expired
     * before it (or is still live) is answered.
     */
    @Test
    void aValueThatExpiredAfterTheClockMarkWaitsForTheLockOthersAreAnswered() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-06-01T12:00:00Z"));
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")), clock)) {
            store.execute(TIMEOUT, session -> {
                session.store("early", StoredValue.text("e"), OptionalLong.empty(), Duration.ofSeconds(5));
                return session.store("late", StoredValue.text("l"), OptionalLong.empty(), Duration.ofSeconds(60));
            });
            clock.advance(Duration.ofSeconds(10));
            assertEquals(Optional.empty(), store.execute(TIMEOUT, session -> session.load("early")).result(),
                    "decided under the lock: the mark is now 10 s on");
            clock.advance(Duration.ofSeconds(60));
            try (LockGrant held = store.lock().acquire(TIMEOUT)) {
                assertEquals(Optional.empty(), store.execute(SHORT,
                        MemoryWork.reading(session -> session.load("early"))).result(),
                        "expired before the mark: expired for every batch, answered without the lock");
                assertThrows(LockTimeoutException.class, () -> store.execute(SHORT,
                        MemoryWork.reading(session -> session.load("late"))),
                        "expired after the mark: the holder's batch may still see it, so the read waits");
            }
            assertEquals(Optional.empty(), store.execute(TIMEOUT,
                    MemoryWork.reading(session -> session.load("late"))).result());
        }
    }
}
