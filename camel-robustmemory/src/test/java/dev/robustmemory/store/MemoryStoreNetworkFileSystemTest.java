package dev.robustmemory.store;

import dev.robustmemory.lock.LockException;
import dev.robustmemory.lock.LockFileSettings;
import dev.robustmemory.testing.FuseMount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A memory whose database is on a real FUSE mount: refused by its open, and working once explicitly allowed. */
class MemoryStoreNetworkFileSystemTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @RegisterExtension
    final FuseMount fuse = new FuseMount();

    @Test
    void aDatabaseOnFuseIsRefusedWhenTheMemoryIsOpened() {
        Path database = fuse.root().resolve("memories/orders.duckdb");
        LockException e = assertThrows(LockException.class, () -> MemoryStore.open(StoreSettings.of(database)));
        assertTrue(e.getMessage().contains("'" + fuse.type() + "' file system"), e.getMessage());
        assertTrue(e.getMessage().contains("allowNetworkFileSystem=true"), e.getMessage());
        assertFalse(Files.exists(database), "nothing was created but its directory");
    }

    @Test
    void aDatabaseOnFuseServesTheMemoryWhenAllowed() throws Exception {
        Path database = fuse.root().resolve("memories/orders.duckdb");
        StoreSettings allowed = new StoreSettings(database, StoreSettings.defaultLockFile(database),
                new LockFileSettings(PosixFilePermissions.fromString("rw-------"), true),
                StoreSettings.DEFAULT_MAX_VALUE_SIZE);
        try (MemoryStore store = MemoryStore.open(allowed)) {
            store.execute(TIMEOUT, session -> session.store("k", StoredValue.text("on fuse"), OptionalLong.empty()));
            assertEquals(Optional.of(StoredValue.text("on fuse")),
                    store.execute(TIMEOUT, session -> session.load("k")).result().map(MemoryEntry::value));
        }
        assertTrue(Files.size(fuse.backing().resolve("memories/orders.duckdb")) > 0, "written through FUSE");
    }
}
