package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.memory.StoredValue;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every method of the repository on a real database file, in one JVM. */
class RobustMemoryIdempotentRepositoryTest {

    @TempDir
    Path dir;

    private final ExecutorService lockHolder = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopLockHolder() {
        lockHolder.shutdownNow();
    }

    private Path database() {
        return dir.resolve("ids.duckdb");
    }

    private RobustMemoryIdempotentRepository started(String name) {
        RobustMemoryIdempotentRepository repository = new RobustMemoryIdempotentRepository(database().toString(), name);
        repository.start();
        return repository;
    }

    @Test
    void addReturnsTrueOnlyForANewId() {
        RobustMemoryIdempotentRepository repository = started("orders");

        assertTrue(repository.add("order-1"));
        assertFalse(repository.add("order-1"));
        assertTrue(repository.add("order-2"));
        repository.stop();
    }

    @Test
    void containsSeesOnlyAddedIds() {
        RobustMemoryIdempotentRepository repository = started("orders");
        assertFalse(repository.contains("order-1"));

        repository.add("order-1");

        assertTrue(repository.contains("order-1"));
        assertFalse(repository.contains("order-2"));
        repository.stop();
    }

    @Test
    void removeMakesAnIdNewAgain() {
        RobustMemoryIdempotentRepository repository = started("orders");
        repository.add("order-1");

        assertTrue(repository.remove("order-1"));
        assertFalse(repository.remove("order-1"), "nothing left to remove");
        assertFalse(repository.contains("order-1"));
        assertTrue(repository.add("order-1"));
        repository.stop();
    }

    @Test
    void confirmWritesNothing() {
        RobustMemoryIdempotentRepository repository = started("orders");

        assertTrue(repository.confirm("order-1"));

        assertFalse(repository.contains("order-1"), "only add writes an id");
        repository.stop();
    }

    @Test
    void clearRemovesOnlyItsOwnIds() throws Exception {
        RobustMemoryIdempotentRepository orders = started("orders");
        RobustMemoryIdempotentRepository payments = started("payments");
        orders.add("1");
        orders.add("2");
        payments.add("1");
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database()))) {
            store.execute(Duration.ofSeconds(5), session ->
                    session.store("idempotent/orders-archive", StoredValue.text("not an id"), OptionalLong.empty()));

            orders.clear();

            assertFalse(orders.contains("1"));
            assertFalse(orders.contains("2"));
            assertTrue(payments.contains("1"), "another repository's ids stay");
            assertEquals(List.of("idempotent/orders-archive", "idempotent/payments/1"),
                    store.execute(Duration.ofSeconds(5), session -> session.keys(null)).result());
        } finally {
            orders.stop();
            payments.stop();
        }
    }

    @Test
    void repositoriesOfOneNameShareIdsAndKeepThemAcrossRestarts() {
        RobustMemoryIdempotentRepository first = started("orders");
        first.add("order-1");
        first.stop();

        RobustMemoryIdempotentRepository second = started("orders");
        RobustMemoryIdempotentRepository third = started("orders");
        assertFalse(second.add("order-1"));
        assertTrue(third.add("order-2"));
        assertTrue(second.contains("order-2"));
        second.stop();
        third.stop();
    }

    @Test
    void theStoredValueSaysWhenAndByWhichProcess() throws Exception {
        RobustMemoryIdempotentRepository repository = started("orders");
        repository.add("order-1");
        repository.stop();

        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database()))) {
            String json = store.execute(Duration.ofSeconds(5), session -> session.load("idempotent/orders/order-1"))
                    .result().orElseThrow().value().text();
            JsonObject addedBy = (JsonObject) Jsoner.deserialize(json);
            assertEquals(ProcessHandle.current().pid(), addedBy.getLong("pid"));
            Instant.parse(addedBy.getString("addedAt"));
        }
    }

    @Test
    void waitsForTheLockAtMostTheLockTimeout() throws Exception {
        RobustMemoryIdempotentRepository repository = new RobustMemoryIdempotentRepository(database().toString(), "orders");
        repository.setLockTimeout("200ms");
        repository.start();
        CrossProcessLock lock = CrossProcessLock.open(StoreSettings.defaultLockFile(database()),
                LockFileSettings.defaults());
        // Another thread, as a competing holder would: the lock is not re-entrant. The store's lease, which may still
        // hold the lock after opening, hands it over as soon as that thread waits.
        LockGrant held = lockHolder.submit(() -> lock.acquire(Duration.ofSeconds(10))).get();
        try {
            RuntimeCamelException failure = assertThrows(RuntimeCamelException.class, () -> repository.add("order-1"));
            assertInstanceOf(LockTimeoutException.class, failure.getCause());
            assertTrue(failure.getMessage().contains("order-1"), failure.getMessage());
        } finally {
            held.close();
        }
        assertTrue(repository.add("order-1"), "the failed add wrote nothing");
        repository.stop();
    }

    @Test
    void refusesBadSettingsWhenStarting() {
        RobustMemoryIdempotentRepository slashed = new RobustMemoryIdempotentRepository(database().toString(), "a/b");
        assertTrue(assertThrows(IllegalArgumentException.class, slashed::start).getMessage().contains("'a/b'"));

        RobustMemoryIdempotentRepository malformed = new RobustMemoryIdempotentRepository(database().toString(), "x");
        malformed.setLockTimeout("10x");
        assertTrue(assertThrows(IllegalArgumentException.class, malformed::start).getMessage().contains("lockTimeout"));

        RobustMemoryIdempotentRepository inMemory = new RobustMemoryIdempotentRepository(":memory:", "x");
        assertTrue(assertThrows(IllegalArgumentException.class, inMemory::start).getMessage().contains(":memory:"));
    }

    @Test
    void refusesUseBeforeStartAndIdsTooLongForAKey() {
        RobustMemoryIdempotentRepository notStarted = new RobustMemoryIdempotentRepository(database().toString(), "x");
        assertThrows(IllegalStateException.class, () -> notStarted.add("order-1"));

        RobustMemoryIdempotentRepository repository = started("orders");
        String tooLong = "i".repeat(DuckDbMemory.MAX_KEY_LENGTH - repository.keyPrefix().length() + 1);
        assertThrows(IllegalArgumentException.class, () -> repository.add(tooLong));
        assertThrows(IllegalArgumentException.class, () -> repository.add(null));
        assertTrue(repository.add(tooLong.substring(1)), "the longest id that fits");
        repository.stop();
    }
}
