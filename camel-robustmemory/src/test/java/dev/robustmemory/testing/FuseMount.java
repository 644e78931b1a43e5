package dev.robustmemory.testing;

import com.sun.jna.LastErrorException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real FUSE mount for each test ({@code @RegisterExtension}): {@link PassThroughFuse}, in a separate JVM, serves a
 * fresh temporary directory ({@link #backing}) at {@link #root}, and unmounts after the test. A test is skipped,
 * with the reason, on a machine that cannot mount FUSE (not root, no /dev/fuse).
 */
public final class FuseMount implements BeforeEachCallback, AfterEachCallback {

    private static final Duration START = Duration.ofSeconds(60);

    private Path directory;
    private Path backing;
    private Path root;
    private ChildJvm server;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        directory = Files.createTempDirectory("robustmemory-fuse");
        backing = Files.createDirectory(directory.resolve("backing"));
        Path mountPoint = Files.createDirectory(directory.resolve("mounted"));
        server = ChildJvm.start(directory.resolve("server-tmp"), PassThroughFuse.class, backing.toString(),
                mountPoint.toString());
        String outcome;
        do {
            outcome = server.awaitLine("", START); // skipping any JVM warning
        } while (!outcome.equals(PassThroughFuse.MOUNTED) && !outcome.startsWith(PassThroughFuse.UNAVAILABLE));
        assumeTrue(outcome.equals(PassThroughFuse.MOUNTED), outcome);
        root = mountPoint.toRealPath();
    }

    /** Where the FUSE file system is mounted. */
    public Path root() {
        return root;
    }

    /** The directory behind the mount, to look at what went through it. */
    public Path backing() {
        return backing;
    }

    /** What {@code FileStore.type()} reports for paths on it. */
    public String type() {
        return PassThroughFuse.TYPE;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (server == null) {
            return; // no temporary directory either
        }
        try {
            if (server.process().isAlive()) {
                server.finish(START); // its cue to unmount
            }
        } finally {
            server.close();
            try {
                // A server that died first leaves a dead mount ("Transport endpoint is not connected") behind.
                Libc.C.umount2(directory.resolve("mounted").toString(), Libc.MNT_DETACH);
            } catch (LastErrorException | UnsatisfiedLinkError notMounted) {
                // the server unmounted it, as it should, or never mounted it
            }
            deleteRecursively(directory);
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
