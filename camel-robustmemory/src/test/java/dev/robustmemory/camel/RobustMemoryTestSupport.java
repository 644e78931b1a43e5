package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.NamedLockService;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A Camel context whose robustmemory component defaults to a real DuckDB file in a fresh temporary directory (or, in a
 * {@code *PostgresTest} subclass, to fresh tables on the embedded PostgreSQL server); route files name the same file
 * as the property placeholder {@code {{memory.database}}}.
 */
abstract class RobustMemoryTestSupport extends CamelTestSupport {

    @TempDir
    Path dir;

    private final ExecutorService lockHolder = Executors.newSingleThreadExecutor();

    Path database() {
        return dir.resolve("memory.duckdb");
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        camelContext.getPropertiesComponent().addInitialProperty("memory.database", database().toString());
        configureMemory(camelContext.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration());
        return camelContext;
    }

    /**
     * Where the component's memory is: the DuckDB file here. A test class whose subclass overrides this (the
     * {@code *PostgresTest} classes, see {@link PostgresBackend}) is part of the contract suite that runs on both
     * backends.
     */
    void configureMemory(RobustMemoryConfiguration configuration) {
        configuration.setDatabase(database().toString());
    }

    /** The named locks of the memory the component's options name, as another process would have them. */
    NamedLockService openNamedLocks() throws Exception {
        return componentOptions().openNamedLocks(context, "30s", "the test's lease");
    }

    /** The memory's name in meter tags, health check ids and MBean names. */
    String memoryName() {
        return componentOptions().memoryLocation(context).displayName();
    }

    private RobustMemoryConfiguration componentOptions() {
        return context.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration();
    }

    /** The memory the component's options name, opened again: as another process would have it. */
    Memory openMemory() throws Exception {
        return componentOptions().memoryLocation(context).open();
    }

    @AfterEach
    void stopLockHolder() {
        lockHolder.shutdownNow();
    }

    /** Sends a body with headers (name, value pairs) and returns the exchange, failed or not. */
    Exchange send(String uri, Object body, Object... headers) {
        return template.send(uri, exchange -> {
            exchange.getIn().setBody(body);
            for (int i = 0; i < headers.length; i += 2) {
                exchange.getIn().setHeader((String) headers[i], headers[i + 1]);
            }
        });
    }

    /** Sends and expects success. */
    Exchange call(String uri, Object body, Object... headers) {
        Exchange exchange = send(uri, body, headers);
        assertNull(exchange.getException(), () -> "unexpected failure: " + exchange.getException());
        return exchange;
    }

    /** Sends and expects the exchange to fail with the given exception type. */
    <T extends Throwable> T failure(Class<T> type, String uri, Object body, Object... headers) {
        Exchange exchange = send(uri, body, headers);
        assertNotNull(exchange.getException(), "expected the exchange to fail with " + type.getSimpleName());
        return assertInstanceOf(type, exchange.getException());
    }

    /**
     * Starts the endpoints a test will use, then takes the database's lock on another thread, as a competing holder
     * would. Starting an endpoint takes no lock and opens no database (the first operation does). Another thread,
     * because the lock is not re-entrant: a grant held by the test thread itself would make the producer fail with
     * a re-entry error instead of waiting. The store's lease, which may still hold the lock after those first
     * calls, hands it over as soon as this thread waits. The grant may be closed from any thread.
     */
    LockGrant holdLockElsewhere(String... urisToStartFirst) throws Exception {
        for (String uri : urisToStartFirst) {
            context.getEndpoint(uri);
        }
        CrossProcessLock lock = CrossProcessLock.open(Path.of(database() + ".lock"), LockFileSettings.defaults());
        return lockHolder.submit(() -> lock.acquire(Duration.ofSeconds(10))).get();
    }

    static Map<String, Object> headers(Exchange exchange) {
        return exchange.getMessage().getHeaders();
    }
}
