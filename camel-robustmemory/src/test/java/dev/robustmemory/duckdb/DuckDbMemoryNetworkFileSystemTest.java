package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.FuseMount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A memory whose database is on a real FUSE mount: refused by its open, and working once explicitly allowed. */
class DuckDbMemoryNetworkFileSystemTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @RegisterExtension
    final FuseMount fuse = new FuseMount();

    @Test
    void aDatabaseOnFuseIsRefusedWhenTheMemoryIsOpened() {
        Path database = fuse.root().resolve("memories/orders.duckdb");
        StoreException e = assertThrows(StoreException.class, () -> DuckDbMemory.open(StoreSettings.of(database)));
        assertTrue(e.getMessage().contains("'" + fuse.type() + "' file system"), e.getMessage());
        assertTrue(e.getMessage().contains("allowNetworkFileSystem=true"), e.getMessage());
        assertFalse(Files.exists(database), "nothing was created but its directory");
    }

    @Test
    void aDatabaseOnFuseIsRefusedEvenWithItsLockFileOnALocalDisk(@TempDir Path local) {
        Path database = fuse.root().resolve("orders.duckdb");
        StoreSettings localLock = new StoreSettings(database, local.resolve("orders.lock"),
                LockFileSettings.defaults(), StoreSettings.DEFAULT_MAX_VALUE_SIZE);
        StoreException e = assertThrows(StoreException.class, () -> DuckDbMemory.open(localLock));
        assertTrue(e.getMessage().contains("The database " + database), e.getMessage());
        assertTrue(e.getMessage().contains("'" + fuse.type() + "' file system"), e.getMessage());
        assertFalse(Files.exists(local.resolve("orders.lock")), "refused before the lock file was made");
    }

    @Test
    void aDatabaseOnFuseServesTheMemoryWhenAllowed() throws Exception {
        Path database = fuse.root().resolve("memories/orders.duckdb");
        StoreSettings allowed = new StoreSettings(database, StoreSettings.defaultLockFile(database),
                new LockFileSettings(PosixFilePermissions.fromString("rw-------"), true),
                StoreSettings.DEFAULT_MAX_VALUE_SIZE);
        try (DuckDbMemory store = DuckDbMemory.open(allowed)) {
            store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("on fuse"), OptionalLong.empty()));
            assertEquals(Optional.of(StoredValue.text("on fuse")),
                    store.execute(TIMEOUT, session -> session.load("k")).result().map(MemoryEntry::value));
        }
        assertTrue(Files.size(fuse.backing().resolve("memories/orders.duckdb")) > 0, "written through FUSE");
    }
}
