package dev.robustmemory.postgresql;

import dev.robustmemory.memory.OutcomeUnknownException;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server restarts while a client keeps writing: works fail clearly while it is down (a StoreException, or an
 * OutcomeUnknownException for a commit cut off), work again once it is back, and every write that was acknowledged
 * is there afterwards.
 */
class PostgresRestartTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    @TempDir
    Path directory;

    @Test
    void aServerRestartMidRunLosesNoAcknowledgedWriteAndTheFailuresSaySo() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path data = directory.resolve("pgdata");
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl("jdbc:postgresql://localhost:" + port + "/postgres?user=postgres&connectTimeout=2");
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        List<Exception> failures = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch someWritten = new CountDownLatch(50);
        CountDownLatch failedWhileDown = new CountDownLatch(1);
        CountDownLatch writtenAfterRestart = new CountDownLatch(50);
        AtomicBoolean restarted = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();

        EmbeddedPostgres server = start(data, port);
        try (PostgresMemory memory = PostgresMemory.open(dataSource, "restart_", 1024)) {
            Thread writer = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String key = "k/" + i;
                    try {
                        memory.execute(TIMEOUT, session -> session.store(key, StoredValue.text("v" + key),
                                OptionalLong.empty()));
                        acknowledged.put(key, "v" + key);
                        (restarted.get() ? writtenAfterRestart : someWritten).countDown();
                    } catch (StoreException e) {
                        failures.add(e);
                        failedWhileDown.countDown();
                    } catch (Exception e) {
                        failures.add(e);
                        stop.set(true);
                    }
                }
            }, "writer");
            writer.start();
            assertTrue(someWritten.await(30, TimeUnit.SECONDS));
            server.close(); // a fast shutdown: connections are cut, the data directory stays
            assertTrue(failedWhileDown.await(30, TimeUnit.SECONDS));
            server = start(data, port);
            restarted.set(true);
            assertTrue(writtenAfterRestart.await(60, TimeUnit.SECONDS), "works again once the server is back");
            stop.set(true);
            writer.join();

            for (Exception failure : failures) {
                assertTrue(failure instanceof StoreException, "a clear store failure, not " + failure);
            }
            Map<String, String> found = new ConcurrentHashMap<>();
            memory.execute(Duration.ofSeconds(30), session -> {
                for (String key : session.keys("k/")) {
                    found.put(key, session.load(key).orElseThrow().value().text());
                }
                return null;
            });
            for (Map.Entry<String, String> written : acknowledged.entrySet()) {
                assertEquals(written.getValue(), found.get(written.getKey()), "acknowledged, so kept: " + written);
            }
            long unknown = failures.stream().filter(OutcomeUnknownException.class::isInstance).count();
            System.out.printf("restart: %d writes acknowledged, %d failed while the server was down (%d unknown)%n",
                    acknowledged.size(), failures.size(), unknown);
            assertTrue(found.size() <= acknowledged.size() + unknown,
                    "beyond the acknowledged writes only those whose commit outcome was unknown may be there");
        } finally {
            server.close();
        }
    }

    private static EmbeddedPostgres start(Path data, int port) throws Exception {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
    }
}
