package dev.robustmemory.benchmark;

import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The robustmemory component as a route would use it: a Camel context in this process, a producer template, the
 * operation in the endpoint URI and the key in the {@code CamelRobustMemoryKey} header. Written against the public
 * Camel contract only (URI, option and header names), so the benchmark compiles before the component exists; when
 * the component cannot be resolved or cannot store and load, opening fails with {@link BackendUnavailableException}.
 */
final class ComponentSession implements BackendSession {

    private static final String KEY_HEADER = "CamelRobustMemoryKey";
    private static final String FOUND_HEADER = "CamelRobustMemoryFound";
    /** Contention must never time out: the benchmark measures waiting, it does not give up. */
    private static final String LOCK_TIMEOUT = "60s";
    /** The most keys one storeAll message may carry. */
    private static final int STORE_ALL_KEYS = 10_000;

    private final CamelContext camel;
    private final ProducerTemplate template;
    private final Endpoint storeEndpoint;
    private final Endpoint loadEndpoint;
    private final Endpoint storeAllEndpoint;
    /** The session's beans, closed after the context when they can be. */
    private final Map<String, Object> beans;

    private ComponentSession(CamelContext camel, String storeOptions, Map<String, Object> beans,
                             String extraOptions) {
        this.camel = camel;
        this.beans = beans;
        this.template = camel.createProducerTemplate();
        String uri = "robustmemory:benchmark?" + storeOptions + "&lockTimeout=" + LOCK_TIMEOUT + extraOptions;
        this.storeEndpoint = camel.getEndpoint(uri + "&operation=store");
        this.loadEndpoint = camel.getEndpoint(uri + "&operation=load");
        this.storeAllEndpoint = camel.getEndpoint(uri + "&operation=storeAll");
    }

    /**
     * The component on the DuckDB database {@code memory.duckdb} in {@code directory}.
     *
     * @param extraOptions appended to every endpoint URI, e.g. {@code &monitorLocks=false}
     */
    static ComponentSession open(Path directory, String extraOptions) throws BackendUnavailableException {
        return open("database=" + directory.resolve("memory.duckdb"), Map.of(), extraOptions);
    }

    /**
     * The component on the store that {@code storeOptions} name, e.g. {@code database=/path/memory.duckdb}, or
     * {@code backend=postgresql&dataSource=#name&tablePrefix=...} with the data source among {@code beans}: a
     * backend on PostgreSQL is an opener passing those and a {@link HeldConnectionPool} on {@link BenchPostgres}.
     *
     * @param beans        bound in the context's registry under their names, for {@code #name} references; the
     *                     session's from now on: those that are {@link AutoCloseable} are closed with it
     * @param extraOptions appended to every endpoint URI, e.g. {@code &monitorLocks=false}
     */
    static ComponentSession open(String storeOptions, Map<String, Object> beans, String extraOptions)
            throws BackendUnavailableException {
        CamelContext camel = new DefaultCamelContext();
        try {
            beans.forEach(camel.getRegistry()::bind);
            camel.start();
            ComponentSession session = new ComponentSession(camel, storeOptions, beans, extraOptions);
            session.probe();
            return session;
        } catch (Exception | LinkageError e) {
            camel.stop();
            try {
                closeBeans(beans);
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw new BackendUnavailableException("component not available: " + rootMessage(e), e);
        }
    }

    @Override
    public KeyValueClient newClient() {
        return new KeyValueClient() {
            @Override
            public void store(String key, String value) throws Exception {
                send(storeEndpoint, key, value);
            }

            @Override
            public boolean load(String key) throws Exception {
                Exchange exchange = send(loadEndpoint, key, null);
                Boolean found = exchange.getMessage().getHeader(FOUND_HEADER, Boolean.class);
                return found != null ? found : exchange.getMessage().getBody() != null;
            }

            /** One message per {@value #STORE_ALL_KEYS} keys: each a storeAll, one batch of the memory. */
            @Override
            public void storeAll(Iterable<String> keys, String value) throws Exception {
                Map<String, String> batch = new LinkedHashMap<>();
                for (String key : keys) {
                    batch.put(key, value);
                    if (batch.size() == STORE_ALL_KEYS) {
                        send(storeAllEndpoint, null, batch);
                        batch = new LinkedHashMap<>();
                    }
                }
                if (!batch.isEmpty()) {
                    send(storeAllEndpoint, null, batch);
                }
            }

            @Override
            public void close() {
                // the template is shared by the threads (it is thread-safe) and closed with the session
            }
        };
    }

    @Override
    public void close() throws Exception {
        try {
            template.close();
            camel.close();
        } finally {
            closeBeans(beans);
        }
    }

    private static void closeBeans(Map<String, Object> beans) throws Exception {
        for (Object bean : beans.values()) {
            if (bean instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    /** One store and one load: a component that resolves but whose store is still a stub fails here, not mid-run. */
    private void probe() throws Exception {
        try (KeyValueClient client = newClient()) {
            client.store("benchmark-probe", "probe");
            if (!client.load("benchmark-probe")) {
                throw new IllegalStateException("a stored key was not found by load");
            }
        }
    }

    private Exchange send(Endpoint endpoint, String key, Object body) throws Exception {
        Exchange exchange = template.send(endpoint, e -> {
            if (key != null) {
                e.getMessage().setHeader(KEY_HEADER, key);
            }
            e.getMessage().setBody(body);
        });
        if (exchange.getException() != null) {
            throw exchange.getException();
        }
        return exchange;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
