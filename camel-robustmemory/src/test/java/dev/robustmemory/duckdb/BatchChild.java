package dev.robustmemory.duckdb;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.StoredValue;

/**
 * A process of {@link BatchAtomicityProcessTest}: {@code BatchChild DATABASE MODE LABEL} prints {@code READY}, waits
 * for {@code go}, then two threads store one unique value under every key of {@link BatchHistory#GROUP} at once,
 * read the group at once, or delete it, until its standard input closes; every completed operation is one line
 * ({@link BatchHistory} reads them). In mode {@code split}, the deliberately broken variant, a store of the group is
 * one work per key, so readers may see it half done.
 */
public final class BatchChild {

    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);

    public static void main(String[] args) throws Exception {
        boolean split = args[1].equals("split");
        String label = args[2];
        try (DuckDbMemory store = DuckDbMemory.open(StoreSettings.of(Path.of(args[0])))) {
            BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            System.out.println("READY");
            if (!"go".equals(stdin.readLine())) {
                return;
            }
            AtomicBoolean running = new AtomicBoolean(true);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                String thread = label + "t" + t;
                Thread worker = new Thread(() -> work(store, split, thread, running), thread);
                worker.start();
                threads.add(worker);
            }
            while (stdin.readLine() != null) {
                // run until the test closes our input (or kills us)
            }
            running.set(false);
            for (Thread worker : threads) {
                worker.join();
            }
        }
    }

    private static void work(DuckDbMemory store, boolean split, String thread, AtomicBoolean running) {
        SplittableRandom random = new SplittableRandom(thread.hashCode());
        try {
            for (long n = 0; running.get(); n++) {
                int pick = random.nextInt(10);
                long invoked = System.nanoTime();
                if (pick < 5) {
                    String value = thread + "-" + n;
                    long revision = split ? storeOneByOne(store, value) : storeAll(store, value);
                    System.out.println(BatchHistory.storeLine(value, revision, invoked, System.nanoTime()));
                } else if (pick < 9) {
                    Seen<Map<String, MemoryEntry>> read = store.execute(LOCK_TIMEOUT, MemoryWork.reading(
                            session -> new Seen<>(session.loadAll(BatchHistory.GROUP), session.revision()))).result();
                    System.out.println(BatchHistory.loadLine(read.result(), read.revision(), invoked,
                            System.nanoTime()));
                } else {
                    Seen<List<String>> deleted = store.execute(LOCK_TIMEOUT,
                            session -> new Seen<>(session.deleteAll(BatchHistory.GROUP), session.revision())).result();
                    System.out.println(BatchHistory.deleteLine(deleted.result().size(), deleted.revision(), invoked,
                            System.nanoTime()));
                }
            }
        } catch (Exception e) {
            System.out.println("FAILED " + thread + " " + e);
        }
    }

    /** What a work answered, and the memory's revision as it saw it. */
    private record Seen<T>(T result, long revision) {
    }

    private static long storeAll(DuckDbMemory store, String value) throws Exception {
        Map<String, StoredValue> values = new LinkedHashMap<>();
        BatchHistory.GROUP.forEach(key -> values.put(key, StoredValue.text(value)));
        return store.execute(LOCK_TIMEOUT, session -> {
            session.storeAll(values, Map.of());
            return session.revision();
        }).result();
    }

    private static long storeOneByOne(DuckDbMemory store, String value) throws Exception {
        long revision = 0;
        for (String key : BatchHistory.GROUP) {
            revision = store.execute(LOCK_TIMEOUT,
                    session -> session.store(key, StoredValue.text(value), OptionalLong.empty()).version()).result();
        }
        return revision;
    }
}
