package dev.robustmemory.duckdb.lock;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import dev.robustmemory.memory.NamedLockTimeoutException;

/**
 * The other process in the named locks' cross-process tests. Modes (all take the names lock file and a name first):
 * <ul>
 * <li>{@code hold FILE NAME}: acquire, print {@code HELD <token>}, release when told {@code release} on stdin.</li>
 * <li>{@code history FILE NAME N HOLD_MICROS HISTORY}: print {@code READY}, wait for {@code go}, then N times:
 * acquire, record ENTER, hold, record EXIT, release; print {@code DONE}.</li>
 * <li>{@code broken-history ...}: the same, but excluding only the threads of its own JVM (a plain in-process lock):
 * the deliberately broken variant that the checker must catch.</li>
 * <li>{@code probe FILE NAME}: try once; print {@code PROBE FREE} or {@code PROBE BUSY}, then exit.</li>
 * <li>{@code busy FILE NAME MILLIS HOLD_MICROS}: for MILLIS, acquire, hold, release and at once acquire again; print
 * {@code BUSY} after the first grant and {@code DONE <grants>} at the end.</li>
 * </ul>
 */
public final class NamedLockChild {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    public static void main(String[] args) throws Exception {
        NamedLocks locks = NamedLocks.open(Path.of(args[1]), LockFileSettings.defaults());
        String name = args[2];
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        switch (args[0]) {
            case "hold" -> hold(locks, name, stdin);
            case "history", "broken-history" -> history(locks, name, stdin, Integer.parseInt(args[3]),
                    Long.parseLong(args[4]), Path.of(args[5]), args[0].startsWith("broken"));
            case "probe" -> probe(locks, name);
            case "busy" -> busy(locks, name, Long.parseLong(args[3]), Long.parseLong(args[4]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void hold(NamedLocks locks, String name, BufferedReader stdin) throws Exception {
        try (NamedLockGrant grant = locks.acquire(name, PATIENCE)) {
            System.out.println("HELD " + grant.token());
            while (!"release".equals(stdin.readLine())) {
                // keep holding until told otherwise (or killed)
            }
        }
        System.out.println("RELEASED");
    }

    private static void probe(NamedLocks locks, String name) throws Exception {
        try (NamedLockGrant grant = locks.acquire(name, Duration.ZERO)) {
            System.out.println("PROBE FREE");
        } catch (NamedLockTimeoutException e) {
            System.out.println("PROBE BUSY");
        }
    }

    private static void history(NamedLocks locks, String name, BufferedReader stdin, int iterations, long holdMicros,
                                Path historyFile, boolean broken) throws Exception {
        ReentrantLock onlyThisJvm = new ReentrantLock();
        try (LockHistory.Recorder recorder = new LockHistory.Recorder(historyFile)) {
            System.out.println("READY");
            if (!"go".equals(stdin.readLine())) {
                return;
            }
            for (int i = 0; i < iterations; i++) {
                if (broken) {
                    onlyThisJvm.lock();
                    try {
                        criticalSection(recorder, name, System.nanoTime(), holdMicros);
                    } finally {
                        onlyThisJvm.unlock();
                    }
                } else {
                    try (NamedLockGrant grant = locks.acquire(name, PATIENCE)) {
                        criticalSection(recorder, name, grant.token(), holdMicros);
                    }
                }
            }
        }
        System.out.println("DONE");
    }

    private static void criticalSection(LockHistory.Recorder recorder, String name, long token, long holdMicros)
            throws Exception {
        recorder.record(LockHistory.Kind.ENTER, name, token);
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(holdMicros)); // the work done under the lock
        recorder.record(LockHistory.Kind.EXIT, name, token);
    }

    private static void busy(NamedLocks locks, String name, long millis, long holdMicros) throws Exception {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long grants = 0;
        while (System.nanoTime() - end < 0) {
            try (NamedLockGrant grant = locks.acquire(name, PATIENCE)) {
                if (grants++ == 0) {
                    System.out.println("BUSY");
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(holdMicros));
            }
        }
        System.out.println("DONE " + grants);
    }
}
