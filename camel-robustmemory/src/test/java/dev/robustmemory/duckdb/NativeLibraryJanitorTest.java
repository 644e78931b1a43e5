package dev.robustmemory.duckdb;

import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The janitor's rules, on planted files and on the copies of real JVMs, live and killed with SIGKILL. */
class NativeLibraryJanitorTest {

    private static final Duration CHILD_START = Duration.ofSeconds(60);

    @TempDir
    Path directory;

    @Test
    void findsThisProcessCopyInItsMappingsOnlyInTheTemporaryDirectory() throws Exception {
        Path temp = Files.createDirectory(directory.resolve("tmp"));
        Path mappings = Files.writeString(directory.resolve("maps"), String.join("\n",
                "7f00-7f01 r--p 00000000 fe:00 11 /usr/lib/libduckdb_java.so",
                "7f01-7f02 r--p 00000000 fe:00 12 " + temp + "/libduckdb_java42.so (deleted)",
                "7f02-7f03 rw-p 00000000 00:00 0 ",
                "7f03-7f04 r--p 00000000 00:00 0 [heap]",
                "7f04-7f05 r--p 00000000 fe:00 13 " + temp + "/libother1.so",
                "7f05-7f06 r-xp 00001000 fe:00 14 " + temp + "/libduckdb_java6275359282592432165.so",
                "7f06-7f07 r--p 00002000 fe:00 14 " + temp + "/libduckdb_java6275359282592432165.so"));

        assertEquals(Optional.of(temp.resolve("libduckdb_java6275359282592432165.so")),
                NativeLibraryJanitor.ownCopy(mappings, temp));
        assertEquals(Optional.empty(), NativeLibraryJanitor.ownCopy(mappings, directory));
    }

    @Test
    void deletesDriverCopiesNobodyUsesOnceTheirLastWriteIsPastTheGrace() throws Exception {
        Instant now = Instant.now();
        Path unused = plant("libduckdb_java123.so", now.minus(Duration.ofMinutes(1)));
        Path justWritten = plant("libduckdb_java456.so", now);
        Path heldOpen = plant("libduckdb_java789.so", now.minus(Duration.ofHours(2)));
        Path otherName = plant("libduckdb_java-custom.so", now.minus(Duration.ofHours(2)));
        Path unrelated = plant("libfoo123.so", now.minus(Duration.ofHours(2)));

        try (FileChannel writer = FileChannel.open(heldOpen, StandardOpenOption.WRITE)) { // as a starting JVM would
            assertEquals(1, NativeLibraryJanitor.deleteUnused(directory, now.minus(NativeLibraryJanitor.WRITE_GRACE)));
        }
        assertFalse(Files.exists(unused));
        assertTrue(Files.exists(justWritten), "may be a copy whose writer has not opened it yet, or just closed it");
        assertTrue(Files.exists(heldOpen), "being written, however old its last write");
        assertTrue(Files.exists(otherName));
        assertTrue(Files.exists(unrelated));
        assertEquals(0, NativeLibraryJanitor.deleteUnused(directory.resolve("missing"), now), "failures are silent");
    }

    @Test
    void aStartingStoreDeletesTheCopyOfAKilledJvmAndKeepsThoseOfLiveOnesHoweverOld() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "Linux only");
        Path temp = Files.createDirectory(directory.resolve("tmp")).toRealPath();
        Path killed;
        try (ChildJvm child = ChildJvm.start(temp, NativeLibraryChild.class, "load")) {
            killed = loadedCopy(child);
            child.kill9();
        }
        // A minute ago: young to a ten-minute rule, yet no process will ever map it again.
        Files.setLastModifiedTime(killed, FileTime.from(Instant.now().minus(Duration.ofMinutes(1))));
        Path writing = temp.resolve("libduckdb_java777.so");
        try (ChildJvm loaded = ChildJvm.start(temp, NativeLibraryChild.class, "load");
             ChildJvm writer = ChildJvm.start(temp, NativeLibraryChild.class, "write", writing.getFileName().toString())) {
            Path mapped = loadedCopy(loaded);
            writer.awaitLine(NativeLibraryChild.WRITING, CHILD_START);
            // Old, but in use: a live JVM maps one, a starting one is still writing the other.
            for (Path inUse : List.of(mapped, writing)) {
                Files.setLastModifiedTime(inUse, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            }
            try (ChildJvm store = ChildJvm.start(temp, StoreTestProcess.class, StoreTestProcess.STORE_AND_WAIT,
                    directory.resolve("memory.duckdb").toString())) {
                store.awaitLine(StoreTestProcess.READY, CHILD_START);
                assertEquals(Set.of(mapped, writing), copiesIn(temp), "the store's own copy and the killed JVM's went");
            }
        }
    }

    private static Path loadedCopy(ChildJvm child) throws InterruptedException {
        return Path.of(child.awaitLine(NativeLibraryChild.LOADED, CHILD_START).substring(NativeLibraryChild.LOADED.length()));
    }

    private static Set<Path> copiesIn(Path temp) throws IOException {
        try (Stream<Path> files = Files.list(temp)) {
            return files.filter(file -> file.getFileName().toString().startsWith("libduckdb_java"))
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void thisJvmNoLongerHasItsCopyOnDiskOnceAStoreIsOpen() throws Exception {
        Path mappings = Path.of("/proc/self/maps");
        assumeTrue(Files.isReadable(mappings), "Linux only");
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
            store.execute(Duration.ofSeconds(10), session -> null); // the first operation loads DuckDB
        }

        Path temp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
        assertTrue(Files.readAllLines(mappings).stream().anyMatch(line -> line.contains("libduckdb_java")),
                "the library is loaded");
        assertEquals(Optional.empty(), NativeLibraryJanitor.ownCopy(mappings, temp), "and its copy is deleted");
    }

    private Path plant(String name, Instant modified) throws Exception {
        Path file = Files.write(directory.resolve(name), new byte[]{0});
        Files.setLastModifiedTime(file, FileTime.from(modified));
        return file;
    }
}
