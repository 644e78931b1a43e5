package dev.robustmemory.benchmark;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.LockGrant;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The main class of the benchmark's child JVMs; it ends when its standard input closes. Modes:
 * <ul>
 * <li>{@code load BACKEND MIX THREADS DIRECTORY OWNER}: opens the backend on the shared database in DIRECTORY,
 * prints {@code READY}, then for each {@code run MILLIS FILE} runs the mix for MILLIS with THREADS threads, writes
 * the latencies to FILE and prints {@code DONE <operations> <elapsedNanos>}.</li>
 * <li>{@code hand-off LOCKFILE}: on {@code acquire} acquires the lock and prints {@code HELD}; on {@code release}
 * notes {@link System#nanoTime()}, releases and prints {@code RELEASED <nanos>}.</li>
 * </ul>
 * Any failure prints {@code ERROR <message>} and exits 1.
 */
public final class BenchChild {

    private BenchChild() {
    }

    public static void main(String[] args) {
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            switch (args[0]) {
                case "load" -> load(Backend.valueOf(args[1]), Mix.valueOf(args[2]), Integer.parseInt(args[3]),
                        Path.of(args[4]), args[5], stdin);
                case "hand-off" -> handOff(Path.of(args[1]), stdin);
                default -> throw new IllegalArgumentException("Unknown mode " + args[0]);
            }
        } catch (Exception e) {
            System.out.println("ERROR " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }

    private static void load(Backend backend, Mix mix, int threads, Path directory, String owner,
                             BufferedReader stdin) throws Exception {
        try (BackendSession session = backend.open(directory)) {
            List<KeyValueClient> clients = new ArrayList<>();
            List<LoadDriver.ThreadOperation> operations = new ArrayList<>();
            for (int thread = 0; thread < threads; thread++) {
                KeyValueClient client = session.newClient();
                clients.add(client);
                operations.add(mix.operation(client, owner + "t" + thread));
            }
            System.out.println("READY");
            String command;
            while ((command = stdin.readLine()) != null) {
                String[] words = command.split(" ");
                Measurement measurement = LoadDriver.run(operations, Duration.ofMillis(Long.parseLong(words[1])));
                writeLatencies(Path.of(words[2]), measurement.latencyNanos());
                System.out.println("DONE " + measurement.operations() + " " + measurement.elapsedNanos());
            }
            for (KeyValueClient client : clients) {
                client.close();
            }
        }
    }

    private static void handOff(Path lockFile, BufferedReader stdin) throws Exception {
        CrossProcessLock lock = CrossProcessLock.open(lockFile, LockFileSettings.defaults());
        LockGrant grant = null;
        String command;
        // Acquiring only when told, not right after releasing: the lock is not fair between processes, and this
        // JVM would usually win the race against the parent's waiter, which polls.
        while ((command = stdin.readLine()) != null) {
            if (command.equals("acquire")) {
                grant = lock.acquire(Duration.ofSeconds(60));
                System.out.println("HELD");
            } else if (command.equals("release") && grant != null) {
                long releasedAt = System.nanoTime();
                grant.close();
                System.out.println("RELEASED " + releasedAt);
            } else {
                throw new IllegalArgumentException("Unexpected command " + command);
            }
        }
    }

    /** Raw big-endian longs: a round of a fast workload has ~10^5 samples, too many for one output line. */
    static void writeLatencies(Path file, long[] latencies) throws Exception {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            for (long latency : latencies) {
                out.writeLong(latency);
            }
        }
    }

    static long[] readLatencies(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        LongBuffer longs = ByteBuffer.wrap(bytes).asLongBuffer();
        long[] latencies = new long[longs.remaining()];
        longs.get(latencies);
        return latencies;
    }
}
