package dev.robustmemory.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real separate JVM running a test main class on the test class path. Its standard output is read line by line, so
 * a test waits for what the child says ({@link #awaitLine}) instead of sleeping. {@link #kill9()} is SIGKILL.
 */
public final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final Thread reader;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> transcript = java.util.Collections.synchronizedList(new ArrayList<>());

    private ChildJvm(Process process) {
        this.process = process;
        this.reader = new Thread(this::pumpOutput, "child-" + process.pid() + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} in a new JVM. Its java.io.tmpdir is {@code tmpDir}, so whatever a killed child leaves
     * there (DuckDB extracts its native library into it) goes away with the test's temporary directory.
     */
    public static ChildJvm start(Path tmpDir, Class<?> mainClass, String... args) throws IOException {
        return start(tmpDir, System.getProperty("java.class.path"), mainClass, args);
    }

    /** As {@link #start(Path, Class, String...)}, on another class path (the test class path without a library, say). */
    public static ChildJvm start(Path tmpDir, String classPath, Class<?> mainClass, String... args) throws IOException {
        Files.createDirectories(tmpDir);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Djava.io.tmpdir=" + tmpDir,
                "-cp", classPath,
                mainClass.getName()));
        command.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** Waits for the next output line starting with {@code prefix}, skipping others; fails on timeout or exit. */
    public String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("Child " + pid() + " did not print '" + prefix + "' within " + timeout
                                         + (process.isAlive() ? "" : " (it exited " + process.exitValue() + ")")
                                         + "; output so far: " + transcript);
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /** Sends one line to the child's standard input. */
    public void tell(String line) throws IOException {
        Writer in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        in.write(line + "\n");
        in.flush();
    }

    /**
     * SIGKILL: the child gets no chance to clean up. Through the process handle, not {@link Process#destroyForcibly}:
     * that also closes this side's end of the child's output, and lines the child printed just before dying (an
     * acknowledgement, say) would be lost to the test. Returns once everything the child printed has been read.
     */
    public void kill9() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor();
        reader.join();
    }

    /** Closes the child's standard input (its cue to finish) and waits for its exit status. */
    public int finish(Duration timeout) throws IOException, InterruptedException {
        process.getOutputStream().close();
        return awaitExit(timeout);
    }

    /** SIGTERM, then waits for the exit. @return whether the child exited within the timeout */
    public boolean terminate(Duration timeout) throws InterruptedException {
        process.toHandle().destroy(); // the handle, not the Process: see kill9()
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("Child " + pid() + " did not exit within " + timeout + "; output: " + transcript);
        }
        reader.join(); // all it printed is in the transcript now
        return process.exitValue();
    }

    public List<String> transcript() {
        return List.copyOf(transcript);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }

    private void pumpOutput() {
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                transcript.add(line);
                lines.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
