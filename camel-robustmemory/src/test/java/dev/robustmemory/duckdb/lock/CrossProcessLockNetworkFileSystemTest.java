package dev.robustmemory.duckdb.lock;

import dev.robustmemory.testing.FuseMount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A lock file on a real FUSE mount: refused with the reason, and usable once explicitly allowed. */
class CrossProcessLockNetworkFileSystemTest {

    @RegisterExtension
    final FuseMount fuse = new FuseMount();

    @Test
    void aLockFileOnFuseIsRefusedSayingWhyAndWhatToDo() {
        Path lockFile = fuse.root().resolve("locks/m.lock");
        LockException e = assertThrows(LockException.class,
                () -> CrossProcessLock.open(lockFile, LockFileSettings.defaults()));
        assertTrue(e.getMessage().contains("'" + fuse.type() + "' file system"), e.getMessage());
        assertTrue(e.getMessage().contains("granted to two processes at once"), e.getMessage());
        assertTrue(e.getMessage().contains("allowNetworkFileSystem=true"), e.getMessage());
        assertFalse(Files.exists(lockFile), "refused before the lock file is created");
    }

    @Test
    void aLockFileOnFuseIsUsedWhenAllowed() throws Exception {
        LockFileSettings allowed = new LockFileSettings(PosixFilePermissions.fromString("rw-------"), true);
        try (CrossProcessLock lock = CrossProcessLock.open(fuse.root().resolve("locks/m.lock"), allowed)) {
            try (LockGrant grant = lock.acquire(Duration.ofSeconds(5))) {
                grant.publishFencingToken(11);
                grant.ensureValid();
                assertEquals(11, lock.readOwnerRecord().record().fencingToken());
            }
            assertEquals(OwnerRecord.State.RELEASED, lock.readOwnerRecord().record().state());
        }
        assertEquals(OwnerRecord.SLOT_SIZE, Files.size(fuse.backing().resolve("locks/m.lock")), "written through FUSE");
    }
}
