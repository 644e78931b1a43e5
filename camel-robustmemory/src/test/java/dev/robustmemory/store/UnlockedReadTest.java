package dev.robustmemory.store;

import dev.robustmemory.lock.LockGrant;
import dev.robustmemory.lock.LockTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Reads answered without the lock, while someone else holds it: only what this JVM knows to be current. */
class UnlockedReadTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SHORT = Duration.ofMillis(200);

    @TempDir
    Path directory;

    @Test
    void aReadingWorkOnAKnownKeyIsAnsweredWhileTheLockIsHeldAndEverythingElseWaits() throws Exception {
        try (MemoryStore store = MemoryStore.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
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
}
