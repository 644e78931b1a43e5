package dev.robustmemory.examples.multiprocess;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A worker JVM started by a demo ({@link CounterWorker}, {@link DepositWorker}): same Java, same class path. Its
 * output is echoed with the worker's name, and its {@code ACK <value>} lines are counted as the operations the memory
 * acknowledged to it.
 */
final class Worker implements AutoCloseable {

    private static final Pattern ACK = Pattern.compile(".*\\bACK (\\d+)$");
    /** The critical-section demo's line at each entry into the block: shown like the ACK lines, or not. */
    private static final Pattern ENTER = Pattern.compile(".*\\bENTER \\S+$");

    private final String name;
    private final Process process;
    private final AtomicInteger acks = new AtomicInteger();
    private final Set<Long> ackedValues = ConcurrentHashMap.newKeySet();
    private volatile boolean echoAcks;
    private volatile Consumer<String> watcher = line -> { };
    private final Thread echo;

    private Worker(String name, Process process, boolean echoAcks, PrintStream out) {
        this.name = name;
        this.process = process;
        this.echoAcks = echoAcks;
        this.echo = new Thread(() -> echo(out), name + "-output");
        echo.setDaemon(true);
        echo.start();
    }

    /**
     * Starts {@code mainClass} in a new JVM with the system properties given.
     *
     * @param echoAcks whether to show its {@code ACK} (and {@code ENTER}) lines (they are counted either way); its
     *                 other output is shown
     */
    static Worker start(String name, Class<?> mainClass, Map<String, Object> properties, boolean echoAcks,
                        PrintStream out) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // small and quick to start: the demo starts several at once on what may be a small machine
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        properties.forEach((property, value) -> command.add("-D" + property + "=" + value));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        return new Worker(name, new ProcessBuilder(command).redirectErrorStream(true).start(), echoAcks, out);
    }

    /** Called with each line the worker prints, on the thread that reads them, from now on. */
    void watch(Consumer<String> lineWatcher) {
        watcher = lineWatcher;
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    /** Increments acknowledged so far; final once the worker has exited ({@link #awaitExit}, {@link #kill9}). */
    int acks() {
        return acks.get();
    }

    /** The different counter values acknowledged to it; as final as {@link #acks()}. */
    Set<Long> ackedValues() {
        return Set.copyOf(ackedValues);
    }

    /** Whether to show its {@code ACK} lines from now on. */
    void echoAcks(boolean echo) {
        echoAcks = echo;
    }

    void awaitFirstAck(Duration timeout) throws InterruptedException {
        awaitAcks(1, timeout);
    }

    /** Waits until at least {@code count} acknowledgements were counted. */
    void awaitAcks(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (acks) {
            while (acks.get() < count) {
                long left = deadline - System.nanoTime();
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited (code " + process.exitValue() + ") after "
                                                    + acks.get() + " of " + count + " acknowledgements");
                }
                if (left <= 0) {
                    throw new IllegalStateException(name + " had " + acks.get() + " of " + count
                                                    + " acknowledgements after " + timeout);
                }
                // woken by each acknowledgement; a worker that dies prints none, so look again now and then
                TimeUnit.NANOSECONDS.timedWait(acks, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
            }
        }
    }

    /** Waits for the worker to exit and for its last output line to be counted. @return the exit code */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " did not finish within " + timeout);
        }
        echo.join();
        return process.exitValue();
    }

    /**
     * SIGKILL on Linux: the worker gets no chance to finish anything or to release its lock. Then reads what it wrote
     * before dying, so that every acknowledgement it printed is counted.
     */
    void kill9() throws InterruptedException {
        // Through the handle: Process.destroyForcibly() would also close our end of the pipe, dropping output the
        // worker wrote but we had not read yet, and the acknowledgements in it.
        process.toHandle().destroyForcibly();
        process.waitFor();
        echo.join();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }

    private void echo(PrintStream out) {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                watcher.accept(line);
                Matcher ack = ACK.matcher(line);
                boolean isAck = ack.matches();
                if (!(isAck || ENTER.matcher(line).matches()) || echoAcks) {
                    out.println("[" + name + "] " + line);
                }
                if (isAck) {
                    ackedValues.add(Long.parseLong(ack.group(1)));
                    synchronized (acks) {
                        acks.incrementAndGet();
                        acks.notifyAll();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
