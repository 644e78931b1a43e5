package dev.robustmemory.camel;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockChild;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.testing.OpenFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What an inspection of a lock directory keeps open afterwards: nothing, unless this JVM uses the lock itself. */
class LockInspectorTest {

    @TempDir
    Path dir;
    private Path lockDirectory;
    private LockInspector inspector;

    @BeforeEach
    void inspectorOfALockDirectory() throws Exception {
        assumeTrue(OpenFiles.countable(), "needs /proc/self/fd");
        lockDirectory = Files.createDirectory(dir.resolve("locks"));
        RobustMemoryConfiguration configuration = new RobustMemoryConfiguration();
        configuration.setDatabase(dir.resolve("memory.duckdb").toString());
        configuration.setLockDirectory(lockDirectory.toString());
        configuration.setCleanupOrphaned(true);
        CrossProcessLock ownLock = CrossProcessLock.open(configuration.storeSettings().lockFile(),
                LockFileSettings.defaults());
        inspector = new LockInspector(new RobustMemoryComponent(), ownLock, configuration);
    }

    @Test
    void inspectingADirectoryWhoseLockFilesComeAndGoKeepsNoneOfThemOpen() throws Exception {
        for (int round = 0; round < 30; round++) {
            for (int i = 0; i < 10; i++) {
                Files.createFile(lockDirectory.resolve("job-" + round + "-" + i + ".lock"));
            }
            inspector.inspect();
            try (var files = Files.list(lockDirectory)) {
                files.forEach(file -> file.toFile().delete()); // the jobs ended; their lock files go
            }
        }
        assertEquals(0, OpenFiles.under(lockDirectory));
    }

    @Test
    void aLockFileThisJvmHoldsStaysHeldThroughInspections() throws Exception {
        CrossProcessLock held = CrossProcessLock.open(lockDirectory.resolve("held.lock"), LockFileSettings.defaults());
        try (LockGrant grant = held.acquire(Duration.ZERO)) {
            for (int i = 0; i < 3; i++) {
                inspector.inspect();
            }
            assertTrue(LockChild.probe(held.path(), dir.resolve("tmp")).startsWith("BUSY"), "another JVM still waits");
            assertEquals(1, OpenFiles.under(lockDirectory), "the holder's handle, and no second one");
        } finally {
            held.close();
        }
    }
}
