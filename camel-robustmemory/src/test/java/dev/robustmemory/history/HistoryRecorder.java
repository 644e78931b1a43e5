package dev.robustmemory.history;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Appends a JVM's events to its log, each line with one {@code write(2)} on a file opened with {@code O_APPEND}: no
 * buffer in this JVM holds anything a SIGKILL could lose or tear, and threads need no lock, since the kernel appends
 * each write whole. Times come from {@link System#nanoTime()}, taken before the call for an invocation and after the
 * outcome is known for a completion, so the recorded interval always contains the real one.
 */
public final class HistoryRecorder implements AutoCloseable {

    private final FileOutputStream out;

    public HistoryRecorder(Path log) throws IOException {
        this.out = new FileOutputStream(log.toFile(), true);
    }

    /** To be called before the operation is handed to the store: an operation killed in flight stays "unknown". */
    public void invoked(Invocation call) {
        write(HistoryFormat.invoke(System.nanoTime(), call));
    }

    public void ok(Invocation call, long revision, Result result) {
        write(HistoryFormat.ok(System.nanoTime(), call, revision, result));
    }

    /** The operation threw: it must have had no effect (the checker holds the store to that). */
    public void failed(Invocation call, Throwable failure) {
        write(HistoryFormat.fail(System.nanoTime(), call, failure));
    }

    /** Written by whoever killed {@code process}, once it is dead: its unknown operations ended by then. */
    public void killed(String process) {
        write(HistoryFormat.killed(System.nanoTime(), process));
    }

    private void write(String line) {
        try {
            out.write(line.getBytes(StandardCharsets.UTF_8)); // one write(2) for a line this short
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot append to the history log", e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
