package dev.robustmemory.duckdb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Makes a directory unwritable for this process for the length of a test, even for root: by permissions for an
 * ordinary user, by the immutable attribute ({@code chattr +i}) for root, who ignores permissions.
 */
final class UnwritableDirectory implements AutoCloseable {

    private final Path directory;
    private final boolean root;

    private UnwritableDirectory(Path directory, boolean root) {
        this.directory = directory;
        this.root = root;
    }

    static UnwritableDirectory make(Path directory) throws IOException, InterruptedException {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            run("chattr", "+i", directory.toString());
        } else {
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("r-x------"));
        }
        return new UnwritableDirectory(directory, root);
    }

    boolean isUnwritable() {
        return !Files.isWritable(directory);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (root) {
            run("chattr", "-i", directory.toString());
        } else {
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** Runs a command; a missing command or a refusal (no CAP_LINUX_IMMUTABLE) just leaves the directory writable. */
    private static void run(String... command) throws InterruptedException {
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            // no such command: isUnwritable() tells the test
        }
    }
}
