package dev.robustmemory.duckdb.lock;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A history of critical sections as data: which process entered or left which name, with which token, when (on
 * {@link System#nanoTime()}, CLOCK_MONOTONIC, one clock for every JVM of a boot). The recorder writes each event as
 * one unbuffered line, so a process killed with {@code kill -9} leaves whole lines only.
 */
public final class LockHistory {

    public enum Kind { ENTER, EXIT }

    public record Event(long process, String name, Kind kind, long token, long nanos) {
        @Override
        public String toString() {
            return kind + " " + name + " token " + token + " by " + process + " at " + nanos;
        }
    }

    /** Appends events of one process to its own file. */
    public static final class Recorder implements AutoCloseable {
        private final FileOutputStream out;

        public Recorder(Path file) throws IOException {
            out = new FileOutputStream(file.toFile(), true);
        }

        public void record(Kind kind, String name, long token) throws IOException {
            record(kind, name, token, System.nanoTime());
        }

        /** An event at a given time of {@link System#nanoTime()}: a hold that may have ended before it was logged. */
        public void record(Kind kind, String name, long token, long nanos) throws IOException {
            String line = kind + " " + token + " " + nanos + " " + name + "\n";
            out.write(line.getBytes(StandardCharsets.UTF_8)); // one write(2) per line
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    private LockHistory() {
    }

    /** The events of one process's file, in the order written. */
    public static List<Event> read(Path file, long process) throws IOException {
        List<Event> events = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] fields = line.split(" ", 4);
            events.add(new Event(process, fields[3], Kind.valueOf(fields[0]), Long.parseLong(fields[1]),
                    Long.parseLong(fields[2])));
        }
        return events;
    }
}
