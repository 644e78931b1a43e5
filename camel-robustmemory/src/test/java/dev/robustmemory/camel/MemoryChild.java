package dev.robustmemory.camel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.zip.CRC32;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.memory.StoredValue;

/**
 * Another process doing to a memory what the observability tests need to see. Modes:
 * <ul>
 * <li>{@code hold DATABASE}: opens the memory, and inside one operation (lock held, database open, a write made but
 * not committed) prints {@code HELD <pid> <fencing token>}, then waits for {@code release} on stdin (or to be
 * killed) and prints {@code RELEASED}.</li>
 * <li>{@code garbage LOCKFILE}: writes bytes no holder would write over the owner record, as a stray program
 * might, and prints {@code WRITTEN}.</li>
 * <li>{@code foreign LOCKFILE HOST}: writes an owner record in the documented format (see the README's lock file
 * format) saying that a process on HOST holds the lock, as a process on another host sharing the file would, and
 * prints {@code WRITTEN}.</li>
 * </ul>
 * The writing modes write without the lock, at offset 0, like the programs they stand for.
 */
public final class MemoryChild {

    private static final int SLOT_SIZE = 512;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "hold" -> hold(Path.of(args[1]));
            case "garbage" -> write(Path.of(args[1]), "\u0007 not an owner record, written by a stray program\n"
                    .getBytes(StandardCharsets.UTF_8));
            case "foreign" -> write(Path.of(args[1]), foreignRecord(args[2]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void hold(Path database) throws Exception {
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            store.execute(Duration.ofSeconds(60), session -> {
                session.store("held-by", StoredValue.text(Long.toString(ProcessHandle.current().pid())),
                        OptionalLong.empty());
                System.out.println("HELD " + ProcessHandle.current().pid() + " " + session.fencingToken());
                try {
                    while (!"release".equals(stdin.readLine())) {
                        // keep holding until told otherwise (or killed)
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            });
        }
        System.out.println("RELEASED");
    }

    private static void write(Path lockFile, byte[] bytes) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(lockFile.toFile(), "rw")) {
            file.seek(0);
            file.write(bytes);
        }
        System.out.println("WRITTEN");
    }

    /** A HELD record of pid 4242 on another host, padded with newlines to the slot size, with its CRC-32. */
    private static byte[] foreignRecord(String host) {
        Instant now = Instant.now();
        String body = "robustmemory-lock/1\n"
                      + "state=HELD\n"
                      + "pid=4242\n"
                      + "processStart=" + now.minus(Duration.ofHours(2)) + "\n"
                      + "host=" + host + "\n"
                      + "bootId=boot-of-" + host + "\n"
                      + "acquiredAt=" + now.minus(Duration.ofMinutes(5)) + "\n"
                      + "fencingToken=77\n"
                      + "releasedAt=\n";
        byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(bodyBytes);
        byte[] checksum = String.format("checksum=%08x\n", crc.getValue()).getBytes(StandardCharsets.UTF_8);
        byte[] slot = new byte[SLOT_SIZE];
        Arrays.fill(slot, (byte) '\n');
        System.arraycopy(bodyBytes, 0, slot, 0, bodyBytes.length);
        System.arraycopy(checksum, 0, slot, bodyBytes.length, checksum.length);
        return slot;
    }
}
