package dev.robustmemory.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A child JVM running {@link StoreTestProcess}, with its own temporary directory and a line-based handshake. */
final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final BufferedReader output;
    private final StringBuilder transcript = new StringBuilder();

    private ChildJvm(Process process) {
        this.process = process;
        this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts {@link StoreTestProcess} with {@code args}; its {@code java.io.tmpdir} is {@code tempDirectory}. */
    static ChildJvm start(Path tempDirectory, String... args) throws IOException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tempDirectory,
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-cp", classPath, StoreTestProcess.class.getName()));
        command.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    long pid() {
        return process.pid();
    }

    /** Blocks until the child prints {@code word} on a line of its own; fails with its output if it exits first. */
    void await(String word) throws IOException {
        String line;
        while ((line = output.readLine()) != null) {
            transcript.append(line).append('\n');
            if (line.equals(word)) {
                return;
            }
        }
        throw new AssertionError("Child exited without saying " + word + ":\n" + transcript);
    }

    /** Lets a waiting child finish normally and returns its exit status. */
    int finish() throws IOException, InterruptedException {
        process.getOutputStream().close();
        return process.waitFor();
    }

    /** SIGKILL, as {@code kill -9}. */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        return process.waitFor();
    }

    int awaitExit() throws InterruptedException {
        return process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
