package dev.robustmemory.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The janitor's two rules, on planted files; the end-to-end check with a killed JVM is in MemoryStoreProcessTest. */
class NativeLibraryJanitorTest {

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
    void deletesOnlyDriverCopiesOlderThanTheLimit() throws Exception {
        Instant now = Instant.now();
        Path old = plant("libduckdb_java123.so", now.minus(Duration.ofHours(2)));
        Path young = plant("libduckdb_java456.so", now.minus(Duration.ofMinutes(1)));
        Path otherName = plant("libduckdb_java-custom.so", now.minus(Duration.ofHours(2)));
        Path unrelated = plant("libfoo123.so", now.minus(Duration.ofHours(2)));

        assertEquals(1, NativeLibraryJanitor.deleteAbandoned(directory, now.minus(NativeLibraryJanitor.ABANDONED_AGE)));
        assertFalse(Files.exists(old));
        assertTrue(Files.exists(young));
        assertTrue(Files.exists(otherName));
        assertTrue(Files.exists(unrelated));
        assertEquals(0, NativeLibraryJanitor.deleteAbandoned(directory.resolve("missing"), now), "failures are silent");
    }

    @Test
    void thisJvmNoLongerHasItsCopyOnDiskOnceAStoreIsOpen() throws Exception {
        Path mappings = Path.of("/proc/self/maps");
        assumeTrue(Files.isReadable(mappings), "Linux only");
        try (MemoryStore store = MemoryStore.open(StoreSettings.of(directory.resolve("memory.duckdb")))) {
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
