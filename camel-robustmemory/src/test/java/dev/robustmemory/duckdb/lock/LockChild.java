package dev.robustmemory.duckdb.lock;

import dev.robustmemory.testing.ChildJvm;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The other process in the lock's cross-process tests. Modes:
 * <ul>
 * <li>{@code hold LOCK}: acquire, print {@code HELD}, release when told {@code release} on stdin.</li>
 * <li>{@code probe LOCK}: try once without waiting; print {@code PROBE FREE} (and release) or {@code PROBE BUSY},
 * then exit.</li>
 * <li>{@code stress LOCK DIR N}: print {@code READY}, wait for {@code go}, then N times: acquire, create DIR/occupied
 * exclusively (a second holder would fail here), read-modify-write DIR/counter, delete the marker, release.</li>
 * </ul>
 */
public final class LockChild {

    /** Starts a child in {@code hold} mode and returns once it holds the lock. */
    static ChildJvm holding(Path lockFile, Path tmpDir) throws Exception {
        ChildJvm child = ChildJvm.start(tmpDir, LockChild.class, "hold", lockFile.toString());
        try {
            child.awaitLine("HELD", Duration.ofSeconds(30));
            return child;
        } catch (AssertionError | InterruptedException e) {
            child.close();
            throw e;
        }
    }

    public static void main(String[] args) throws Exception {
        CrossProcessLock lock = CrossProcessLock.open(Path.of(args[1]), LockFileSettings.defaults());
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        switch (args[0]) {
            case "hold" -> hold(lock, stdin);
            case "probe" -> probe(lock);
            case "stress" -> stress(lock, stdin, Path.of(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void hold(CrossProcessLock lock, BufferedReader stdin) throws Exception {
        try (LockGrant grant = lock.acquire(Duration.ofSeconds(30))) {
            grant.publishFencingToken(ProcessHandle.current().pid());
            System.out.println("HELD " + ProcessHandle.current().pid());
            while (!"release".equals(stdin.readLine())) {
                // keep holding until told otherwise (or killed)
            }
        }
        System.out.println("RELEASED");
    }

    /** Whether another JVM can take the lock right now: what a leaked record lock in the test's JVM would prevent. */
    public static String probe(Path lockFile, Path tmpDir) throws Exception {
        try (ChildJvm child = ChildJvm.start(tmpDir, LockChild.class, "probe", lockFile.toString())) {
            String answer = child.awaitLine("PROBE ", Duration.ofSeconds(30)).substring("PROBE ".length());
            child.awaitExit(Duration.ofSeconds(30));
            return answer;
        }
    }

    private static void probe(CrossProcessLock lock) throws Exception {
        try (LockGrant grant = lock.acquire(Duration.ZERO)) {
            System.out.println("PROBE FREE");
        } catch (LockTimeoutException e) {
            System.out.println("PROBE BUSY " + e.holder().describe());
        }
    }

    private static void stress(CrossProcessLock lock, BufferedReader stdin, Path dir, int iterations) throws Exception {
        System.out.println("READY");
        if (!"go".equals(stdin.readLine())) {
            return;
        }
        Path marker = dir.resolve("occupied");
        Path counter = dir.resolve("counter");
        int violations = 0;
        for (int i = 0; i < iterations; i++) {
            try (LockGrant grant = lock.acquire(Duration.ofSeconds(60))) {
                try {
                    Files.createFile(marker);
                } catch (FileAlreadyExistsException e) {
                    violations++;
                }
                long value = Files.exists(counter) ? Long.parseLong(Files.readString(counter).trim()) : 0;
                Files.writeString(counter, Long.toString(value + 1));
                grant.ensureValid();
                Files.deleteIfExists(marker);
            }
        }
        System.out.println("DONE violations=" + violations);
    }
}
