package dev.robustmemory.history;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.NonNumericValueException;
import dev.robustmemory.memory.OutcomeUnknownException;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.VersionConflictException;
import dev.robustmemory.postgresql.PostgresMemory;

import org.postgresql.ds.PGSimpleDataSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A worker JVM of the history tests: several threads run random operations on a few keys of one memory, each
 * operation one work that also returns {@link MemorySession#revision()}, every invocation and completion logged by a
 * {@link HistoryRecorder}. It prints {@value #READY} once the memory is open, {@value #PROGRESS} every
 * {@value #PROGRESS_EVERY} operations (the test kills it between two such lines), and {@value #DONE} once every thread
 * has stopped: after {@code --ops} operations each, or when its standard input ends.
 *
 * <p>Arguments, as {@code --name=value}: {@code database} (a DuckDB memory) or {@code postgresql} (a JDBC URL) and
 * {@code prefix} (a PostgreSQL memory), {@code log}, {@code process} (its label, also in the
 * unique values it writes: {@code w<label>-<n>}), {@code threads}, {@code seed}, {@code ops} (per thread; 0 = until
 * stdin ends), {@code broken} ({@code none}, or a deliberate bug the checker must find, see {@link Fault}).
 */
public final class HistoryWorkload {

    static final String READY = "READY";
    static final String PROGRESS = "PROGRESS";
    static final String DONE = "DONE";
    static final int PROGRESS_EVERY = 100;
    /** Two prefixes, so that clear and keys of one leave the other alone. */
    static final List<String> PREFIXES = List.of("a/", "b/");
    static final List<String> KEYS = List.of("a/1", "a/2", "a/3", "b/1", "b/2", "b/3");
    /**
     * Short lock timeouts fail for real while other JVMs hold the lock (nothing may then be written); the long one
     * lets most operations through.
     */
    private static final long[] TIMEOUT_MILLIS = {0, 1, 5000};

    /** A deliberately broken client, to show on a real run that the checker finds what it claims to. */
    enum Fault {
        NONE,
        /** Some loads answer from the thread's own memory of the key, with the memory's current revision. */
        STALE_READS,
        /** Increments read in one work and write the sum in another, so a concurrent change is overwritten. */
        LOST_UPDATE;

        static Fault of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** An operation's answer and the revision its work saw. */
    private record Observed(Result result, long revision) {
    }

    private final Memory store;
    private final HistoryRecorder recorder;
    private final String process;
    private final Fault fault;
    private final ExecutorService completions;
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();

    private HistoryWorkload(Memory store, HistoryRecorder recorder, String process, Fault fault, int threads) {
        this.store = store;
        this.recorder = recorder;
        this.process = process;
        this.fault = fault;
        this.completions = Executors.newFixedThreadPool(threads);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            String[] pair = arg.replaceFirst("^--", "").split("=", 2);
            options.put(pair[0], pair[1]);
        }
        int threads = Integer.parseInt(options.getOrDefault("threads", "4"));
        long seed = Long.parseLong(options.getOrDefault("seed", "1"));
        long opsPerThread = Long.parseLong(options.getOrDefault("ops", "0"));
        try (Memory store = open(options);
             HistoryRecorder recorder = new HistoryRecorder(Path.of(options.get("log")))) {
            HistoryWorkload workload = new HistoryWorkload(store, recorder, options.get("process"),
                    Fault.of(options.getOrDefault("broken", "none")), threads);
            workload.run(threads, seed, opsPerThread);
        }
        System.out.println(DONE);
    }

    /** The DuckDB memory at {@code --database}, or the PostgreSQL one at {@code --postgresql} and {@code --prefix}. */
    private static Memory open(Map<String, String> options) throws Exception {
        if (options.containsKey("postgresql")) {
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setUrl(options.get("postgresql"));
            return PostgresMemory.open(dataSource, options.get("prefix"), StoreSettings.DEFAULT_MAX_VALUE_SIZE);
        }
        return DuckDbMemory.open(StoreSettings.of(Path.of(options.get("database"))));
    }

    private void run(int threads, long seed, long opsPerThread) throws InterruptedException {
        if (opsPerThread == 0) {
            Thread stopper = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // the end of input is the cue
                    }
                } catch (IOException ignored) {
                    // stdin unusable: stop as well
                }
                stop.set(true);
            }, "stdin-watch");
            stopper.setDaemon(true);
            stopper.start();
        }
        System.out.println(READY);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Client client = new Client("t" + t, new Random(seed * 1_000_003 + t));
            Thread worker = new Thread(() -> {
                for (long n = 0; !stop.get() && (opsPerThread == 0 || n < opsPerThread); n++) {
                    client.runOne();
                }
            }, "worker-t" + t);
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        completions.shutdown();
    }

    /** One client thread: what it last saw of each key feeds its compare-and-sets (and a stale cache). */
    private final class Client {

        private final String name;
        private final Random random;
        private final Map<String, Long> versionSeen = new HashMap<>();
        private final Map<String, Result.Found> valueSeen = new HashMap<>();

        Client(String name, Random random) {
            this.name = name;
            this.random = random;
        }

        void runOne() {
            Invocation call = nextCall();
            recorder.invoked(call);
            try {
                Observed observed = perform(call);
                recorder.ok(call, observed.revision(), observed.result());
                remember(call, observed.result());
            } catch (OutcomeUnknownException e) {
                // no completion is logged: the checker places it where some answer needs it, as a killed JVM's
            } catch (Exception e) {
                recorder.failed(call, e);
            }
            if (completed.incrementAndGet() % PROGRESS_EVERY == 0) {
                System.out.println(PROGRESS + " " + completed.get());
            }
        }

        private Invocation nextCall() {
            long id = ids.incrementAndGet();
            String key = KEYS.get(random.nextInt(KEYS.size()));
            String prefix = PREFIXES.get(random.nextInt(PREFIXES.size()));
            int dice = random.nextInt(100);
            Invocation call;
            if (dice < 14) {
                call = Invocation.of(process, name, id, OpType.STORE, key).writing(uniqueValue(id));
            } else if (dice < 26) {
                // Mostly the version this thread saw last (often outdated by now), sometimes "must not exist".
                long expected = random.nextInt(5) == 0 ? 0 : versionSeen.getOrDefault(key, 0L);
                call = Invocation.of(process, name, id, OpType.CAS, key).writing(uniqueValue(id)).expecting(expected);
            } else if (dice < 46) {
                call = Invocation.of(process, name, id, OpType.LOAD, key);
            } else if (dice < 52) {
                call = Invocation.of(process, name, id, OpType.DELETE, key);
            } else if (dice < 60) {
                call = Invocation.of(process, name, id, OpType.EXISTS, key);
            } else if (dice < 80) {
                long delta = random.nextInt(9) - 2;
                call = Invocation.of(process, name, id, OpType.INCREMENT, key).adding(delta == 0 ? 1 : delta);
            } else if (dice < 83) {
                call = Invocation.of(process, name, id, OpType.CLEAR, prefix);
            } else if (dice < 93) {
                call = Invocation.of(process, name, id, OpType.KEYS, prefix);
            } else {
                call = Invocation.of(process, name, id, OpType.SIZE, null);
            }
            int timeout = random.nextInt(100);
            long timeoutMillis = TIMEOUT_MILLIS[timeout < 15 ? 0 : timeout < 30 ? 1 : 2];
            return call.via(random.nextBoolean() ? "sync" : "async", timeoutMillis);
        }

        private String uniqueValue(long id) {
            return "w" + process.replaceFirst("^p", "") + "-" + id;
        }

        private Observed perform(Invocation call) throws Exception {
            if (fault == Fault.STALE_READS && call.type() == OpType.LOAD && valueSeen.containsKey(call.key())
                && random.nextBoolean()) {
                return new Observed(valueSeen.get(call.key()), execute(call, MemorySession::revision));
            }
            if (fault == Fault.LOST_UPDATE && call.type() == OpType.INCREMENT) {
                return incrementInTwoWorks(call);
            }
            MemoryWork<Observed> work = session -> operation(call, session);
            return execute(call, READING.contains(call.type()) ? MemoryWork.reading(work) : work);
        }

        /** The bug of a client that reads, adds and writes back in separate works: nothing holds the lock between. */
        private Observed incrementInTwoWorks(Invocation call) throws Exception {
            Observed read = execute(call, session -> new Observed(session.load(call.key())
                    .map(entry -> (Result) new Result.Found(entry.value().text(), entry.version()))
                    .orElse(new Result.Absent()), session.revision()));
            long before;
            if (read.result() instanceof Result.Found found) {
                if (!found.value().matches("-?[0-9]+")) {
                    return new Observed(new Result.NonNumeric(), read.revision());
                }
                before = Long.parseLong(found.value());
            } else {
                before = 0;
            }
            String sum = Long.toString(before + call.delta());
            return execute(call, session -> {
                MemoryEntry written = session.store(call.key(), StoredValue.json(sum), OptionalLong.empty());
                return new Observed(new Result.Found(sum, written.version()), session.revision());
            });
        }

        /** One work under the call's lock timeout, through execute or executeAsync as the call says. */
        private <T> T execute(Invocation call, MemoryWork<T> work) throws Exception {
            Duration timeout = Duration.ofMillis(call.lockTimeoutMillis());
            if (call.api().equals("sync")) {
                return store.execute(timeout, work).result();
            }
            try {
                // The client waits anyway (one operation at a time), but through the async path. No timeout of its
                // own: giving up here would log a failure for a work that may still commit; every stage completes.
                return store.executeAsync(timeout, work, completions).toCompletableFuture().get().result();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }

        private void remember(Invocation call, Result result) {
            String key = call.key();
            if (result instanceof Result.Found found) {
                versionSeen.put(key, found.version());
                valueSeen.put(key, found);
            } else if (result instanceof Result.Written written) {
                versionSeen.put(key, written.version());
                valueSeen.put(key, new Result.Found(call.value(), written.version()));
            } else if (result instanceof Result.Conflict conflict) {
                versionSeen.put(key, conflict.currentVersion());
            } else if (result instanceof Result.Absent || call.type() == OpType.DELETE) {
                versionSeen.put(key, 0L);
            }
        }
    }

    /** The operations marked as reading, as the producer marks them: they may be answered without the lock. */
    private static final Set<OpType> READING = EnumSet.of(OpType.LOAD, OpType.EXISTS, OpType.KEYS, OpType.SIZE);

    /** The operation itself, inside its work; domain refusals are answers, caught before the work ends. */
    private static Observed operation(Invocation call, MemorySession session) throws StoreException {
        String key = call.key();
        Result result = switch (call.type()) {
            case STORE -> new Result.Written(session.store(key, StoredValue.text(call.value()),
                    OptionalLong.empty()).version());
            case CAS -> {
                try {
                    yield new Result.Written(session.store(key, StoredValue.text(call.value()),
                            OptionalLong.of(call.expectedVersion())).version());
                } catch (VersionConflictException conflict) {
                    yield new Result.Conflict(conflict.currentVersion());
                }
            }
            case LOAD -> {
                Optional<MemoryEntry> entry = session.load(key);
                yield entry.isPresent() ? new Result.Found(entry.get().value().text(), entry.get().version())
                                        : new Result.Absent();
            }
            case DELETE -> new Result.Flag(session.delete(key));
            case EXISTS -> new Result.Flag(session.exists(key));
            case INCREMENT -> {
                try {
                    MemoryEntry entry = session.increment(key, call.delta());
                    yield new Result.Found(entry.value().text(), entry.version());
                } catch (NonNumericValueException e) {
                    yield new Result.NonNumeric();
                }
            }
            case CLEAR -> new Result.Count(session.clear(key));
            case KEYS -> new Result.KeyList(session.keys(key));
            case SIZE -> new Result.Count(session.size());
        };
        return new Observed(result, session.revision());
    }
}
