package dev.robustmemory.testing;

import com.sun.jna.LastErrorException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A real FUSE mount for a test: {@link PassThroughFuse} serving {@code directory/backing} at
 * {@code directory/mounted}, from a separate JVM. Close it to unmount.
 */
public final class FuseMount implements AutoCloseable {

    private static final Duration START = Duration.ofSeconds(60);

    private final ChildJvm server;
    private final Path mountPoint;

    private FuseMount(ChildJvm server, Path mountPoint) {
        this.server = server;
        this.mountPoint = mountPoint;
    }

    /** The mount, or empty with the reason printed to the test's output when this machine cannot mount FUSE. */
    public static Optional<FuseMount> start(Path directory) throws IOException, InterruptedException {
        Path backing = Files.createDirectories(directory.resolve("backing"));
        Path mountPoint = Files.createDirectories(directory.resolve("mounted"));
        ChildJvm server = ChildJvm.start(directory.resolve("server-tmp"), PassThroughFuse.class, backing.toString(),
                mountPoint.toString());
        String outcome = server.awaitLine("", START);
        while (!outcome.equals(PassThroughFuse.MOUNTED) && !outcome.startsWith(PassThroughFuse.UNAVAILABLE)) {
            outcome = server.awaitLine("", START); // JVM warnings
        }
        if (!outcome.equals(PassThroughFuse.MOUNTED)) {
            System.out.println(outcome);
            server.close();
            return Optional.empty();
        }
        return Optional.of(new FuseMount(server, mountPoint.toRealPath()));
    }

    /** Where the FUSE file system is mounted. */
    public Path root() {
        return mountPoint;
    }

    /** What {@code FileStore.type()} reports for paths on it. */
    public String type() {
        return PassThroughFuse.TYPE;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            server.finish(START);
        } finally {
            server.close();
            try {
                // A server that died first leaves a dead mount ("Transport endpoint is not connected") behind.
                Libc.C.umount2(mountPoint.toString(), Libc.MNT_DETACH);
            } catch (LastErrorException notMountedAnyMore) {
                // the server unmounted it, as it should
            }
        }
    }
}
