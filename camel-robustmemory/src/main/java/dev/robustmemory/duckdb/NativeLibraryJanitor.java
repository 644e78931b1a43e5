package dev.robustmemory.duckdb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Deletes the copies of DuckDB's native library that the JDBC driver leaves in {@code java.io.tmpdir}.
 *
 * <p><b>Why.</b> The driver copies its 60-70 MB library out of its jar into a new temporary file
 * ({@code libduckdb_java<random>.so}) in every JVM and deletes it only on a normal exit, so every JVM that is
 * killed with SIGKILL or crashes leaves one behind; a supervisor restarting a crashing service every few seconds
 * fills the disk. The driver prefers the copy in its jar over {@code java.library.path}, so a fixed location is not an
 * option with the published jar.
 *
 * <p><b>What.</b> On Linux a file may be unlinked while it is mapped: the loaded code stays valid and the space is
 * freed when the process exits, however it exits. So once the library is loaded (after the first connection), this
 * JVM deletes its own copy, found by its mapping in {@code /proc/self/maps}; from then on a kill leaves nothing. It
 * also deletes every other copy that no process maps or holds open (read from {@code /proc/<pid>/maps} and
 * {@code /proc/<pid>/fd}, matched by inode) and that was last written more than {@link #WRITE_GRACE} ago:
 * a starting JVM holds its copy open while it writes it, then maps it a moment later, and the grace covers that
 * moment (and the one between creating the file and opening it). Only copies owned by this user, named like the
 * driver's, directly in the temporary directory are touched, and every failure is ignored (a file already gone, a
 * process that exited meanwhile). A library loaded from anywhere else is left alone. On other systems this does
 * nothing.
 *
 * <p><b>Not seen:</b> processes this one cannot inspect (another user's, without root; another PID namespace sharing
 * the directory). Their running JVMs lose nothing, a mapped library stays valid, but a copy such a JVM is writing
 * and pauses on for longer than the grace could be deleted under it.
 */
final class NativeLibraryJanitor {

    static final Duration WRITE_GRACE = Duration.ofSeconds(5);
    /** The driver's copies: {@code Files.createTempFile("libduckdb_java", ".so")} puts digits between the two. */
    private static final Pattern DRIVER_COPY = Pattern.compile("libduckdb_java[0-9]*\\.so");
    private static final String DRIVER_COPY_PREFIX = "libduckdb_java";
    private static final Path PROCESSES = Path.of("/proc");
    private static final Path OWN_MAPPINGS = PROCESSES.resolve("self/maps");
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
            deleteUnused(tempDirectory, Instant.now().minus(WRITE_GRACE));
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

    /**
     * Deletes the driver copies in {@code tempDirectory} owned by this user, last written before
     * {@code writtenBefore}, that no process maps or has open; returns how many.
     */
    static int deleteUnused(Path tempDirectory, Instant writtenBefore) {
        Map<Long, Path> candidates = copiesWrittenBefore(tempDirectory, writtenBefore);
        if (candidates.isEmpty()) {
            return 0; // the usual case: no need to look at every process
        }
        candidates.keySet().removeAll(filesInUse(PROCESSES));
        int deleted = 0;
        for (Path copy : candidates.values()) {
            if (deleteQuietly(copy)) {
                deleted++;
            }
        }
        return deleted;
    }

    private static Map<Long, Path> copiesWrittenBefore(Path tempDirectory, Instant writtenBefore) {
        Map<Long, Path> copies = new HashMap<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(tempDirectory, DRIVER_COPY_PREFIX + "*.so")) {
            Object myUid = Files.getAttribute(PROCESSES.resolve("self"), "unix:uid"); // /proc/self is ours
            for (Path copy : listing) {
                if (!isDriverCopyIn(copy, tempDirectory)) {
                    continue;
                }
                try {
                    Map<String, Object> attributes = Files.readAttributes(copy, "unix:ino,uid,lastModifiedTime",
                            LinkOption.NOFOLLOW_LINKS);
                    // The last write, not the last change: the driver makes its copy executable after writing it,
                    // and a test can set a modification time but not a change time.
                    Instant written = ((FileTime) attributes.get("lastModifiedTime")).toInstant();
                    if (written.isBefore(writtenBefore) && myUid.equals(attributes.get("uid"))) {
                        copies.put((Long) attributes.get("ino"), copy);
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // gone meanwhile, or not a file system with inodes: leave it
                }
            }
        } catch (IOException | RuntimeException e) {
            // A directory that cannot be listed has nothing we could delete.
        }
        return copies;
    }

    /**
     * The driver copies that any process this one can inspect maps or has open. Only lines and descriptors that name
     * a driver copy are looked at closely, so a host with many processes costs a directory walk and little else.
     */
    static Set<Long> filesInUse(Path processes) {
        Set<Long> inUse = new HashSet<>();
        List<Path> pids = new ArrayList<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(processes,
                entry -> entry.getFileName().toString().chars().allMatch(Character::isDigit))) {
            listing.forEach(pids::add);
        } catch (IOException e) {
            return inUse;
        }
        for (Path pid : pids) {
            addMapped(pid.resolve("maps"), inUse);
            addOpen(pid.resolve("fd"), inUse);
        }
        return inUse;
    }

    private static void addMapped(Path mappings, Set<Long> inUse) {
        try (Stream<String> lines = Files.lines(mappings)) {
            lines.filter(line -> line.contains(DRIVER_COPY_PREFIX))
                    .map(NativeLibraryJanitor::mappedInode)
                    .flatMap(Optional::stream)
                    .forEach(inUse::add);
        } catch (IOException | UncheckedIOException | SecurityException e) {
            // exited meanwhile, or another user's process: see the class comment
        }
    }

    private static void addOpen(Path descriptors, Set<Long> inUse) {
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(descriptors)) {
            for (Path descriptor : listing) {
                try {
                    Path name = Files.readSymbolicLink(descriptor).getFileName(); // "socket:[n]" for a socket
                    if (name != null && name.toString().startsWith(DRIVER_COPY_PREFIX)) {
                        // Through the link: the very file that process has open, whatever path it used.
                        inUse.add((Long) Files.getAttribute(descriptor, "unix:ino"));
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | SecurityException e) {
            // exited meanwhile, or another user's process: see the class comment
        }
    }

    /**
     * The inode of a file mapped by a {@code /proc/<pid>/maps} line ("address perms offset device inode path").
     * Inodes alone, not devices: the candidates all live in one directory, the device a mapping shows may differ from
     * the one {@code stat} reports (btrfs subvolumes, overlayfs), and a match on another device keeps a file, the
     * safe side.
     */
    private static Optional<Long> mappedInode(String line) {
        String[] fields = line.trim().split("\\s+", 6);
        try {
            return fields.length < 6 ? Optional.empty() : Optional.of(Long.parseLong(fields[4])).filter(i -> i != 0);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
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

    private static boolean deleteQuietly(Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            return false;
        }
    }
}
