package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;

import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.NamedLockGrant;
import dev.robustmemory.duckdb.lock.NamedLocks;
import dev.robustmemory.memory.FencedWriteException;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.StoredValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes fenced by a named lock of the memory: the newest grant's token passes, any other is refused. */
class FencedWriteTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final OptionalLong ANY_VERSION = OptionalLong.empty();
    private static final String NAME = "order-1";

    @TempDir
    Path directory;
    private DuckDbMemory store;
    private NamedLocks locks;

    @BeforeEach
    void open() throws Exception {
        Path database = directory.resolve("memory.duckdb");
        store = DuckDbMemory.open(StoreSettings.of(database));
        locks = NamedLocks.open(NamedLocks.fileFor(database), LockFileSettings.defaults());
    }

    @AfterEach
    void close() {
        store.close();
        locks.close();
    }

    @Test
    void aWriteCarryingTheNewestGrantsTokenCommits() throws Exception {
        try (NamedLockGrant grant = locks.acquire(NAME, TIMEOUT)) {
            fencedStore(grant.token(), "mine");
        }
        assertEquals("mine", loadText("order"));
    }

    @Test
    void aWriteCarryingAnOlderGrantsTokenIsRefusedAndTheNewerValueStays() throws Exception {
        long older;
        try (NamedLockGrant first = locks.acquire(NAME, TIMEOUT)) {
            older = first.token();
        }
        long newer;
        try (NamedLockGrant second = locks.acquire(NAME, TIMEOUT)) {
            newer = second.token();
            fencedStore(newer, "newer holder");
        }
        FencedWriteException refused = assertThrows(FencedWriteException.class, () -> fencedStore(older, "stale"));
        assertEquals(NAME, refused.lockName());
        assertEquals(older, refused.carriedToken());
        assertEquals(newer, refused.newestToken());
        assertTrue(refused.getMessage().contains("'" + NAME + "' with token " + older + ", but the newest grant of"
                                                 + " that name has token " + newer + ": the lock was lost or taken"
                                                 + " over"), refused.getMessage());
        assertEquals("newer holder", loadText("order"));
    }

    @Test
    void whatARefusedWorkWroteBeforeTheCheckIsRolledBack() throws Exception {
        long older;
        try (NamedLockGrant first = locks.acquire(NAME, TIMEOUT)) {
            older = first.token();
        }
        locks.acquire(NAME, TIMEOUT).close();
        assertThrows(FencedWriteException.class, () -> store.execute(TIMEOUT, session -> {
            session.store("early", StoredValue.text("written before the check"), ANY_VERSION);
            session.requireNewestGrant(NAME, older);
            return null;
        }));
        assertFalse(store.execute(TIMEOUT, session -> session.exists("early")).result());
    }

    @Test
    void aTokenThatWasNeverGrantedIsRefused() throws Exception {
        long newest;
        try (NamedLockGrant grant = locks.acquire(NAME, TIMEOUT)) {
            newest = grant.token();
        }
        FencedWriteException refused = assertThrows(FencedWriteException.class, () -> fencedStore(newest + 1, "x"));
        assertTrue(refused.getMessage().contains("never granted"), refused.getMessage());
        FencedWriteException otherName = assertThrows(FencedWriteException.class,
                () -> fencedStore(newest, "x", "never-held"), "another name's token does not fence this one");
        assertEquals(0, otherName.newestToken());
    }

    @Test
    void aReadingWorkIsNeverAskedToCheckAndReadsNeedNoToken() throws Exception {
        long token;
        try (NamedLockGrant grant = locks.acquire(NAME, TIMEOUT)) {
            token = grant.token();
            fencedStore(token, "value");
        }
        IllegalStateException misuse = assertThrows(IllegalStateException.class,
                () -> store.execute(TIMEOUT, MemoryWork.reading(session -> {
                    session.requireNewestGrant(NAME, token);
                    return null;
                })));
        assertTrue(misuse.getMessage().contains("reading work"), misuse.getMessage());
        assertEquals("value", loadText("order"), "a load needs no grant, current or not");
    }

    @Test
    void anInvalidLockNameIsAClearError() {
        IllegalArgumentException invalid = assertThrows(IllegalArgumentException.class, () -> fencedStore(1, "x",
                ""));
        assertTrue(invalid.getMessage().contains("must not be empty"), invalid.getMessage());
    }

    private void fencedStore(long token, String value) throws Exception {
        fencedStore(token, value, NAME);
    }

    private void fencedStore(long token, String value, String lockName) throws Exception {
        store.execute(TIMEOUT, session -> {
            session.requireNewestGrant(lockName, token);
            return session.store("order", StoredValue.text(value), ANY_VERSION);
        });
    }

    private String loadText(String key) throws Exception {
        return store.execute(TIMEOUT, session -> session.load(key)).result().orElseThrow().value().text();
    }
}
