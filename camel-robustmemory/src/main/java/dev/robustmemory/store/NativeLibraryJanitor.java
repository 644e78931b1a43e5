package dev.robustmemory.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Deletes the copies of DuckDB's native library that the JDBC driver leaves in {@code java.io.tmpdir}.
 *
 * <p><b>Why.</b> The driver (1.5) copies its 60-70 MB library out of its jar into a new temporary file
 * ({@code libduckdb_java<random>.so}) in every JVM and deletes it only on a normal exit, so every JVM that is
 * killed with SIGKILL or crashes leaves one behind; a supervisor restarting a crashing service fills the disk. The
 * driver prefers the copy in its jar over {@code java.library.path}, so a fixed location is not an option with the
 * published jar.
 *
 * <p><b>What.</b> On Linux a file may be unlinked while it is mapped: the loaded code stays valid and the space is
 * freed when the process exits, however it exits. So once the library is loaded (after the first connection), this
 * JVM deletes its own copy, found by its mapping in {@code /proc/self/maps}; from then on a kill leaves nothing. It
 * also deletes copies older than {@link #ABANDONED_AGE}, left by JVMs killed before they got this far or by
 * programs using the driver without this janitor; a younger copy may belong to a JVM that is starting and has not
 * loaded it yet. Only files named like the driver's copies directly in the temporary directory are touched, and
 * every failure is ignored (another user's file, a file already gone). A library loaded from anywhere else is left
 * alone. On other systems this does nothing.
 */
final class NativeLibraryJanitor {

    static final Duration ABANDONED_AGE = Duration.ofMinutes(10);
    /** The driver's copies: {@code Files.createTempFile("libduckdb_java", ".so")} puts digits between the two. */
    private static final Pattern DRIVER_COPY = Pattern.compile("libduckdb_java[0-9]*\\.so");
    private static final Path OWN_MAPPINGS = Path.of("/proc/self/maps");
    private static final AtomicBoolean RAN = new AtomicBoolean();

    private NativeLibraryJanitor() {
    }

    /** Runs once per JVM, after DuckDB's library is loaded; cheap and silent. */
    static void afterLibraryLoaded() {
        if (!RAN.compareAndSet(false, true)
            || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return;
        }
        try {
            Path tempDirectory = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
            ownCopy(OWN_MAPPINGS, tempDirectory).ifPresent(NativeLibraryJanitor::deleteQuietly);
            deleteAbandoned(tempDirectory, Instant.now().minus(ABANDONED_AGE));
        } catch (IOException | InvalidPathException e) {
            // No usable temporary directory or mappings: nothing this janitor can do, and nothing it must do.
        }
    }

    /** This process's copy of the library, when it is mapped from a driver-named file in {@code tempDirectory}. */
    static Optional<Path> ownCopy(Path mappings, Path tempDirectory) throws IOException {
        try (Stream<String> lines = Files.lines(mappings)) {
            return lines.map(NativeLibraryJanitor::mappedPath)
                    .flatMap(Optional::stream)
                    .filter(path -> isDriverCopyIn(path, tempDirectory))
                    .findFirst();
        }
    }

    /** Deletes driver copies in {@code tempDirectory} last modified before {@code modifiedBefore}; returns how many. */
    static int deleteAbandoned(Path tempDirectory, Instant modifiedBefore) {
        int deleted = 0;
        try (DirectoryStream<Path> copies = Files.newDirectoryStream(tempDirectory, "libduckdb_java*.so")) {
            for (Path copy : copies) {
                if (isDriverCopyIn(copy, tempDirectory) && modifiedBefore(copy, modifiedBefore) && deleteQuietly(copy)) {
                    deleted++;
                }
            }
        } catch (IOException | RuntimeException e) {
            // A directory that cannot be listed has nothing we could delete.
        }
        return deleted;
    }

    /** The file named by a {@code /proc/<pid>/maps} line ("addr perms offset dev inode path"), if it names one. */
    private static Optional<Path> mappedPath(String line) {
        String[] fields = line.trim().split("\\s+", 6);
        if (fields.length < 6 || !fields[5].startsWith("/") || fields[5].endsWith(" (deleted)")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(fields[5]));
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    private static boolean isDriverCopyIn(Path path, Path directory) {
        return directory.equals(path.getParent()) && DRIVER_COPY.matcher(path.getFileName().toString()).matches();
    }

    private static boolean modifiedBefore(Path file, Instant limit) {
        try {
            return Files.getLastModifiedTime(file).toInstant().isBefore(limit);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean deleteQuietly(Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            return false;
        }
    }
}
