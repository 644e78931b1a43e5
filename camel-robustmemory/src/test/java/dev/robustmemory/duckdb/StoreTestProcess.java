package dev.robustmemory.duckdb;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.testing.ChildJvm;

/**
 * The child JVMs of {@link DuckDbMemoryProcessTest}. Each mode prints a word when it reaches the state the test
 * waits for, then waits for its standard input to close (or dies, as the mode says).
 */
public final class StoreTestProcess {

    static final String HOLD_DUCKDB = "hold-duckdb";
    static final String STORE_AND_WAIT = "store-and-wait";
    static final String COMMIT_THEN_HALT = "commit-then-halt";
    static final String SERVE_COMMANDS = "serve-commands";
    static final String DONE = "DONE";
    static final String READY = "READY";
    static final int HALT_STATUS = 99;

    private StoreTestProcess() {
    }

    /** Starts another program that holds the DuckDB database open without the lock; returns once it does. */
    static ChildJvm holdingDuckDb(Path tmpDir, Path database) throws Exception {
        ChildJvm child = ChildJvm.start(tmpDir, StoreTestProcess.class, HOLD_DUCKDB, database.toString());
        try {
            child.awaitLine(READY, Duration.ofSeconds(60));
            return child;
        } catch (AssertionError | InterruptedException e) {
            child.close();
            throw e;
        }
    }

    public static void main(String[] args) throws Exception {
        Path database = Path.of(args[1]);
        switch (args[0]) {
            case HOLD_DUCKDB -> holdWithoutTheLock(database);
            case STORE_AND_WAIT -> storeAndWait(database);
            case COMMIT_THEN_HALT -> commitThenHalt(database, args[2], args[3]);
            case SERVE_COMMANDS -> serveCommands(database);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    /** Another program: opens the database with plain JDBC, ignoring the robustmemory lock. */
    private static void holdWithoutTheLock(Path database) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database)) {
            announce(READY);
            awaitEndOfInput();
        }
    }

    private static void storeAndWait(Path database) throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database))) {
            store.execute(Duration.ofSeconds(10), session -> session.increment("n", 1));
            announce(READY);
            awaitEndOfInput();
        }
    }

    /**
     * Writes through the store and dies right after the acknowledgement, inside the same lease: the write was never
     * applied to DuckDB and must survive through the journal alone. The lease is the same when the token is.
     *
     * <p>A lease idle for 10 ms ends and applies the write to DuckDB, and on a loaded machine the gap between one call
     * and the next can be that long. So the question "acknowledged yet?" is asked again at once until it is, which
     * keeps work coming and the lease alive.
     */
    private static void commitThenHalt(Path database, String key, String value) throws Exception {
        DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database));
        while (true) {
            CompletableFuture<Outcome<MemoryEntry>> stored = store.executeAsync(Duration.ofSeconds(10),
                    session -> session.store(key, StoredValue.text(value), OptionalLong.empty()),
                    ForkJoinPool.commonPool()).toCompletableFuture();
            boolean waiting = true;
            while (waiting) {
                waiting = store.execute(Duration.ofSeconds(10), session -> {
                    if (!stored.isDone()) {
                        return true;
                    }
                    if (session.fencingToken() == stored.join().fencingToken()) {
                        announce(READY);
                        Runtime.getRuntime().halt(HALT_STATUS); // holding the lock, the database and the journal
                    }
                    return false; // the lease ended in between (and applied the write): write again in one lease
                }).result();
            }
        }
    }

    /**
     * Runs the commands read from standard input, one per line ({@code store KEY VALUE}, {@code delete KEY},
     * {@code clear PREFIX}), printing {@value #DONE} after each.
     */
    private static void serveCommands(Path database) throws Exception {
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(database));
             BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            announce(READY);
            for (String command; (command = commands.readLine()) != null; ) {
                String line = command;
                String[] words = line.split(" ");
                store.execute(Duration.ofSeconds(10), session -> switch (words[0]) {
                    case "store" -> session.store(words[1], StoredValue.text(words[2]), OptionalLong.empty());
                    case "store-for" -> session.store(words[1], StoredValue.text(words[2]), OptionalLong.empty(),
                            Duration.parse(words[3]));
                    case "delete" -> session.delete(words[1]);
                    case "clear" -> session.clear(words[1]);
                    default -> throw new IllegalArgumentException("unknown command " + line);
                });
                announce(DONE);
            }
        }
    }

    private static void announce(String word) {
        System.out.println(word);
        System.out.flush();
    }

    private static void awaitEndOfInput() throws IOException {
        while (System.in.read() >= 0) {
            // the test closes our input when we may go
        }
    }
}
