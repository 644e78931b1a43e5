package dev.robustmemory.testing;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** This JVM's open file descriptors, from {@code /proc/self/fd} (Linux). */
public final class OpenFiles {

    private static final Path OWN_DESCRIPTORS = Path.of("/proc/self/fd");

    private OpenFiles() {
    }

    public static boolean countable() {
        return Files.isDirectory(OWN_DESCRIPTORS);
    }

    /**
     * How many descriptors of this JVM are open on files in {@code directory} or below it, deleted files included
     * (the kernel names those "path (deleted)"). Counting only there keeps the JVM's own files out of the count.
     */
    public static int under(Path directory) throws IOException {
        String prefix = directory.toRealPath() + "/";
        int count = 0;
        try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(OWN_DESCRIPTORS)) {
            for (Path descriptor : descriptors) {
                try {
                    if (Files.readSymbolicLink(descriptor).toString().startsWith(prefix)) {
                        count++;
                    }
                } catch (NoSuchFileException closedMeanwhile) {
                    // the descriptor of the listing itself, or one another thread closed
                }
            }
        }
        return count;
    }
}
