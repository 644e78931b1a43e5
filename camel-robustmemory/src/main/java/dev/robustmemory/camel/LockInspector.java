package dev.robustmemory.camel;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockEvent;
import dev.robustmemory.duckdb.lock.LockException;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.OwnerRecordReading;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inspection, as the consumer's poll and the {@code cleanup} operation run it: the memory's own lock file and,
 * with {@code lockDirectory}, every robustmemory lock file ({@code *.lock}) in that directory, each through
 * {@link CrossProcessLock#inspect} (which never touches a held lock and never deletes a file).
 *
 * <p>{@code *.lock} is a common name, so in the directory only files that hold a robustmemory owner record (or
 * nothing yet) are inspected; any other file is left alone, since "repairing" another program's lock file would
 * destroy it. The memory's own lock file is always inspected, so a garbage record there is reported as CORRUPT.
 */
final class LockInspector {

    private static final Logger LOG = LoggerFactory.getLogger(LockInspector.class);

    private final RobustMemoryComponent component;
    private final CrossProcessLock ownLock;
    private final Path lockDirectory;
    private final LockFileSettings lockFileSettings;
    private final Duration staleAfter;
    private final boolean clean;
    private final boolean countCleanups;

    LockInspector(RobustMemoryComponent component, CrossProcessLock ownLock, RobustMemoryConfiguration configuration) {
        this.component = component;
        this.ownLock = ownLock;
        this.lockDirectory = configuration.lockDirectoryPath();
        this.lockFileSettings = configuration.storeSettings().lockFileSettings();
        this.staleAfter = configuration.staleLockThresholdDuration();
        this.clean = configuration.isCleanupOrphaned();
        this.countCleanups = configuration.isMonitorLocks();
    }

    /**
     * Inspects now. A lock file in the directory that cannot be read is logged and skipped, so that one bad file does
     * not hide the others; the memory's own lock file failing is an error.
     *
     * @throws LockException when the memory's own lock file cannot be used
     * @throws IOException   when the lock directory cannot be listed
     */
    List<LockEvent> inspect() throws IOException {
        List<LockEvent> events = new ArrayList<>();
        ownLock.inspect(staleAfter, clean).ifPresent(events::add);
        for (Path file : lockFilesInDirectory()) {
            // Closed after each file: otherwise every lock file that ever passed through the directory would keep a
            // handle open. Closing never drops a lock this JVM holds: the instance closes its handle only once no
            // one in this JVM has the file open or locked.
            try (CrossProcessLock other = CrossProcessLock.open(file, lockFileSettings)) {
                if (isOwnerRecordFile(other.readOwnerRecord())) {
                    other.inspect(staleAfter, clean).ifPresent(events::add);
                }
            } catch (LockException e) {
                LOG.warn("Cannot inspect the lock file {}: {}", file, e.getMessage());
            }
        }
        if (countCleanups) {
            events.stream()
                    .filter(event -> event.type() == LockEvent.Type.ORPHANED && event.cleaned())
                    .forEach(event -> component.countCleanedOrphan(event.lockFile()));
        }
        return events;
    }

    /**
     * The directory's lock files other than the memory's own, by real path, in name order. They are opened only
     * through {@link CrossProcessLock#open}, the JVM-wide instance: a second handle on a lock file this JVM holds
     * would drop the lock when closed.
     */
    private Set<Path> lockFilesInDirectory() throws IOException {
        Set<Path> files = new LinkedHashSet<>();
        if (lockDirectory == null) {
            return files;
        }
        List<Path> names = new ArrayList<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(lockDirectory, "*.lock")) {
            listing.forEach(names::add);
        }
        names.sort(null);
        for (Path name : names) {
            try {
                Path file = name.toRealPath();
                if (Files.isRegularFile(file) && !file.equals(ownLock.path())) {
                    files.add(file);
                }
            } catch (IOException goneMeanwhile) {
                // deleted since the listing, or a dangling link: nothing to inspect
            }
        }
        return files;
    }

    private static boolean isOwnerRecordFile(OwnerRecordReading reading) {
        return !reading.isForeign();
    }
}
