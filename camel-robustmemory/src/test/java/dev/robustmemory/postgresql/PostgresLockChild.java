package dev.robustmemory.postgresql;

import com.zaxxer.hikari.HikariDataSource;
import dev.robustmemory.duckdb.lock.LockHistory;
import dev.robustmemory.memory.FencedWriteException;
import dev.robustmemory.memory.StoredValue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The other process of the PostgreSQL named locks' process tests, through its own HikariCP pool. Arguments: mode, JDBC
 * URL, table prefix, lock name, lease in milliseconds, then the mode's own:
 * <ul>
 * <li>{@code contend ... ITERATIONS HISTORY STUCK_AT}: print {@code READY}, wait for {@code go}, then ITERATIONS
 * times: acquire, record ENTER, a fenced write (the key {@code writes} counts them; {@code last-token} must only grow),
 * record EXIT, release. At iteration STUCK_AT (-1: never) it prints {@code STUCK <token> <writes> <refused>} after its
 * write and holds on, renewing, until killed. At the end: {@code DONE <writes> <refused> <clipped>}, clipped being the
 * holds whose EXIT came after this JVM could no longer be sure of its grant (logged at that moment instead).</li>
 * <li>{@code hold ...}: acquire, print {@code HELD <token>}; then per line on stdin: {@code write VALUE} prints
 * {@code ISHELD <bool>} then {@code WROTE} or {@code REFUSED <newest token> <message>}; {@code acquire} takes the
 * name again (a new grant) and prints {@code HELD <token>}; {@code release} releases and prints {@code RELEASED}.</li>
 * </ul>
 */
public final class PostgresLockChild {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    static final String WRITES = "writes";
    static final String LAST_TOKEN = "last-token";
    static final String VALUE = "value";

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String name = args[3];
        Duration lease = Duration.ofMillis(Long.parseLong(args[4]));
        try (HikariDataSource pool = LockDatabases.pool(args[1], args[2] + "child" + ProcessHandle.current().pid(), 3);
             PostgresMemory memory = PostgresMemory.open(pool, args[2], 1024 * 1024);
             PostgresNamedLocks locks = PostgresNamedLocks.open(pool, args[2], lease)) {
            BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            switch (mode) {
                case "contend" -> contend(memory, locks, name, stdin, Integer.parseInt(args[5]), Path.of(args[6]),
                        Integer.parseInt(args[7]));
                case "hold" -> hold(memory, locks, name, stdin);
                default -> throw new IllegalArgumentException(mode);
            }
        }
    }

    private static void contend(PostgresMemory memory, PostgresNamedLocks locks, String name, BufferedReader stdin,
                                int iterations, Path historyFile, int stuckAt) throws Exception {
        long writes = 0;
        long refused = 0;
        long clipped = 0;
        try (LockHistory.Recorder recorder = new LockHistory.Recorder(historyFile)) {
            System.out.println("READY");
            if (!"go".equals(stdin.readLine())) {
                return;
            }
            for (int i = 0; i < iterations; i++) {
                try (PostgresNamedLockGrant grant = locks.acquire(name, PATIENCE)) {
                    recorder.record(LockHistory.Kind.ENTER, name, grant.token());
                    try {
                        fencedCount(memory, name, grant.token());
                        writes++;
                    } catch (FencedWriteException e) {
                        refused++;
                    }
                    if (i == stuckAt) {
                        System.out.println("STUCK " + grant.token() + " " + writes + " " + refused);
                        while (true) {
                            LockSupport.park(); // holding, renewing, until killed
                        }
                    }
                    long exit = System.nanoTime();
                    if (exit - grant.heldUntilNanos() >= 0) {
                        exit = grant.heldUntilNanos(); // it may have ended then: log only what was surely held
                        clipped++;
                    }
                    recorder.record(LockHistory.Kind.EXIT, name, grant.token(), exit);
                }
            }
        }
        System.out.println("DONE " + writes + " " + refused + " " + clipped);
    }

    /** Counts one write, fenced; the fence also guarantees that the tokens of the writes only grow. */
    static void fencedCount(PostgresMemory memory, String name, long token) throws Exception {
        memory.execute(PATIENCE, session -> {
            session.requireNewestGrant(name, token);
            long last = session.load(LAST_TOKEN).map(e -> Long.parseLong(e.value().text())).orElse(0L);
            if (last >= token) {
                throw new IllegalStateException("a fenced write with token " + token + " after one with " + last);
            }
            session.store(LAST_TOKEN, StoredValue.text(Long.toString(token)), OptionalLong.empty());
            return session.increment(WRITES, 1);
        });
    }

    private static void hold(PostgresMemory memory, PostgresNamedLocks locks, String name, BufferedReader stdin)
            throws Exception {
        PostgresNamedLockGrant grant = locks.acquire(name, PATIENCE);
        System.out.println("HELD " + grant.token());
        String line;
        while ((line = stdin.readLine()) != null) {
            if (line.startsWith("write ")) {
                System.out.println("ISHELD " + grant.isHeld());
                String value = line.substring("write ".length());
                long token = grant.token();
                try {
                    memory.execute(PATIENCE, session -> {
                        session.requireNewestGrant(name, token);
                        return session.store(VALUE, StoredValue.text(value), OptionalLong.empty());
                    });
                    System.out.println("WROTE");
                } catch (FencedWriteException e) {
                    System.out.println("REFUSED " + e.newestToken() + " " + e.getMessage());
                }
            } else if (line.equals("acquire")) {
                grant.close();
                grant = locks.acquire(name, PATIENCE);
                System.out.println("HELD " + grant.token());
            } else if (line.equals("release")) {
                grant.close();
                System.out.println("RELEASED");
            }
        }
        grant.close();
    }
}
