package dev.robustmemory.benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM of a multi-process workload, driven by lines: the parent {@link #tell}s it commands on its standard
 * input and {@link #awaitLine awaits} its answers on its standard output. A line starting with {@code ERROR} or the
 * child's exit fails the wait with the child's output, so a broken child never hangs the run. The child gets the
 * same JVM flags as the benchmark JVM (set in the {@code benchmark} profile), so both compile and collect alike.
 */
final class ChildProcess implements AutoCloseable {

    /** Keep in step with the exec-maven-plugin arguments of the {@code benchmark} profile (heap aside). */
    private static final List<String> JVM_FLAGS = List.of("-Xms256m", "-Xmx256m", "-XX:+UseSerialGC");
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(20);
    private static final int TRANSCRIPT_LINES = 20;

    private final Process process;
    private final Writer stdin;
    /** Output lines; an empty Optional marks the end of the output. */
    private final BlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();
    private final List<String> transcript = new ArrayList<>();

    private ChildProcess(Process process) {
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::pumpOutput, "bench-child-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} on this JVM's class path. {@code tmpDir} becomes the child's java.io.tmpdir: DuckDB
     * copies its 72 MB native library there, and the caller deletes the directory afterwards.
     */
    static ChildProcess start(Path tmpDir, Class<?> mainClass, List<String> args) throws IOException {
        return start(tmpDir, Map.of(), mainClass, args);
    }

    /** As {@link #start(Path, Class, List)}, with {@code systemProperties} set in the child ({@code -Dname=value}). */
    static ChildProcess start(Path tmpDir, Map<String, String> systemProperties, Class<?> mainClass, List<String> args)
            throws IOException {
        Files.createDirectories(tmpDir);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_FLAGS);
        command.add("-Djava.io.tmpdir=" + tmpDir);
        systemProperties.forEach((name, value) -> command.add("-D" + name + "=" + value));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(args);
        return new ChildProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    void tell(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /** The next line starting with {@code prefix}, skipping other output (logging). */
    String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<String> line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw failure("did not print '" + prefix + "' within " + timeout);
            }
            if (line.isEmpty()) {
                lines.add(line); // stays the answer to every later wait
                throw failure("exited before printing '" + prefix + "'");
            }
            if (line.get().startsWith("ERROR")) {
                throw failure("failed");
            }
            if (line.get().startsWith(prefix)) {
                return line.get();
            }
        }
    }

    /** Closes the child's standard input, which tells it to finish, and waits; kills it if it does not. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            stdin.close();
        } finally {
            if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    private IllegalStateException failure(String what) {
        synchronized (transcript) {
            return new IllegalStateException("Child JVM " + process.pid() + " " + what + "; its last output: "
                                             + String.join(" | ", transcript));
        }
    }

    private void pumpOutput() {
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                synchronized (transcript) {
                    transcript.add(line);
                    if (transcript.size() > TRANSCRIPT_LINES) {
                        transcript.remove(0);
                    }
                }
                lines.add(Optional.of(line));
            }
        } catch (IOException e) {
            // the child is gone; the end marker below tells the waiting side
        } finally {
            lines.add(Optional.empty());
        }
    }
}
