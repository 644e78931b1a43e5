package dev.robustmemory.camel;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.MemorySession;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.Outcome;
import dev.robustmemory.memory.StoredValue;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelExchangeException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.spi.InvokeOnHeader;
import org.apache.camel.support.HeaderSelectorProducer;

import static dev.robustmemory.camel.RobustMemoryConstants.AVG_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.EXPECTED_VERSION;
import static dev.robustmemory.camel.RobustMemoryConstants.EXPIRES_AT;
import static dev.robustmemory.camel.RobustMemoryConstants.EXPECTED_VERSIONS;
import static dev.robustmemory.camel.RobustMemoryConstants.FENCING_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.FOUND;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY_PREFIX;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_ACQUISITIONS;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_FAILURES;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_HOLD_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_NAME;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUT;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUTS;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.MAX_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.OPERATION;
import static dev.robustmemory.camel.RobustMemoryConstants.ORPHANED_LOCKS_CLEANED;
import static dev.robustmemory.camel.RobustMemoryConstants.SUCCESS_RATE;
import static dev.robustmemory.camel.RobustMemoryConstants.TTL;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSIONS;

/**
 * Performs one memory operation per message: the header {@code CamelRobustMemoryOperation}, else the endpoint's
 * {@code operation} option, selects one of the {@code @InvokeOnHeader} methods below. Each runs exactly one
 * {@link DuckDbMemory#executeAsync} call, so each message takes the lock once and commits or rolls back as a whole.
 *
 * <p><b>Asynchronous.</b> The calling thread only checks the message and queues the work; it never waits for the
 * lock. The exchange continues on the component's completion executor once the work has committed (or failed, or
 * timed out), never on the store's lease thread, which a route calling the memory again would otherwise block. With
 * the {@code synchronous} option the calling thread waits for the outcome and continues the exchange itself.
 *
 * <p>Bodies after each operation: store keeps the body (a stream or reader that is not a stream cache, which
 * storing consumes, is replaced by the bytes or text stored; a stream cache is reset); load puts the value; exists
 * and delete a Boolean; keys a sorted {@code List<String>}; clear, size and deleteAll a Long count; increment the new
 * value as a Long; loadAll a {@code Map} of the keys found to their values; storeAll keeps its Map; getAndSet the
 * value replaced (null if none); putIfAbsent the key's value afterwards (the one found, or the body); cleanup the
 * list of lock events found (each a Map).
 *
 * <p><b>Fenced writes.</b> A write (store, delete, clear, increment, storeAll, deleteAll, getAndSet, putIfAbsent) of a
 * message that carries a named lock's grant ({@code CamelRobustMemoryLockName} and {@code CamelRobustMemoryLockToken},
 * as {@link RobustMemoryLockPolicy} sets them inside its block) runs only while that grant is the newest of its name;
 * reads are never fenced.
 *
 * <p>With {@code monitorLocks} (the default) every lock request is counted in the memory's {@link LockStatistics}
 * and the message gets this operation's wait and hold times and the memory's totals as headers, also when the
 * operation failed. A takeover from a holder that died holding the lock is kept for the memory's consumers either
 * way, since no later inspection can find it.
 */
public class RobustMemoryProducer extends HeaderSelectorProducer {

    /** The most keys one batch operation takes: it bounds what one message holds in memory and in one batch. */
    static final int MAX_BATCH_KEYS = 10_000;

    private final RobustMemoryEndpoint endpoint;
    private final BodyCodec codec;
    private Memory store;
    private MemoryMonitor monitor;
    /** Null when monitorLocks is off: then nothing is measured or set. */
    private LockStatistics statistics;
    /** Null on PostgreSQL: no lock files to inspect. */
    private LockInspector inspector;
    private Duration defaultLockTimeout;
    /** The endpoint's time to live; null: values never expire. */
    private Duration defaultTtl;
    /** Runs what follows each operation (the rest of the route, usually): never the store's lease thread. */
    private Executor completions;
    private boolean synchronous;
    /** This producer's offer of the memory's check to Camel's producer health checks; null without camel-health. */
    private HealthCheck healthCheck;

    public RobustMemoryProducer(RobustMemoryEndpoint endpoint) {
        super(endpoint, OPERATION, () -> endpoint.getConfiguration().getOperation().name());
        // The operation dispatch is built from the context's services; a route injects the context, but Camel's
        // LazyStartProducer (lazyStartProducer=true) starts the producer without doing so.
        setCamelContext(endpoint.getCamelContext());
        this.endpoint = endpoint;
        this.codec = new BodyCodec(endpoint.getConfiguration().getMaxValueSize());
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        store = endpoint.memory();
        monitor = endpoint.getComponent().monitor(endpoint.location());
        statistics = endpoint.statisticsIfMonitored(store);
        inspector = endpoint.inspector(store);
        defaultLockTimeout = endpoint.getConfiguration().lockTimeoutDuration();
        defaultTtl = endpoint.getConfiguration().ttlDuration();
        completions = endpoint.getComponent().completionExecutor();
        synchronous = endpoint.getConfiguration().isSynchronous();
        healthCheck = endpoint.getComponent().addProducerHealthCheck(endpoint.location());
    }

    @Override
    protected void doStop() throws Exception {
        endpoint.getComponent().removeProducerHealthCheck(healthCheck);
        healthCheck = null;
        super.doStop();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        // The generated dispatcher silently does nothing for a name it does not know: refuse unknown names first.
        String requested = exchange.getIn().getHeader(OPERATION, String.class);
        if (requested != null) {
            try {
                RobustMemoryOperation.named(requested, "header " + OPERATION);
            } catch (IllegalArgumentException e) {
                exchange.setException(e);
                callback.done(true);
                return true;
            }
        }
        return super.process(exchange, callback);
    }

    @InvokeOnHeader("store")
    public void onStore(Message message, AsyncCallback callback) throws Exception {
        String key = key(message);
        StoredValue value = checkedValue(message);
        OptionalLong expectedVersion = expectedVersion(message);
        Duration ttl = ttl(message);
        execute(message, callback, RobustMemoryOperation.store,
                fenced(message, session -> session.store(key, value, expectedVersion, ttl)),
                outcome -> {
                    message.setHeader(VERSION, outcome.result().version());
                    setExpiresAt(message, outcome.result());
                    message.setHeader(FENCING_TOKEN, outcome.fencingToken());
                });
    }

    @InvokeOnHeader("load")
    public void onLoad(Message message, AsyncCallback callback) throws Exception {
        String key = key(message);
        execute(message, callback, RobustMemoryOperation.load, MemoryWork.reading(session -> session.load(key)), outcome -> {
            Optional<MemoryEntry> entry = outcome.result();
            message.setHeader(FOUND, entry.isPresent());
            message.setHeader(VERSION, entry.map(MemoryEntry::version).orElse(0L));
            setExpiresAt(message, entry.orElse(null));
            message.setBody(entry.map(found -> codec.decode(found.value())).orElse(null));
        });
    }

    @InvokeOnHeader("delete")
    public void onDelete(Message message, AsyncCallback callback) throws Exception {
        String key = key(message);
        OptionalLong expectedVersion = expectedVersion(message);
        MemoryWork<Boolean> delete = expectedVersion.isPresent()
                                     ? session -> session.delete(key, expectedVersion.getAsLong())
                                     : session -> session.delete(key);
        execute(message, callback, RobustMemoryOperation.delete, fenced(message, delete), outcome -> {
            message.setBody(outcome.result());
            message.setHeader(FENCING_TOKEN, outcome.fencingToken());
        });
    }

    @InvokeOnHeader("exists")
    public void onExists(Message message, AsyncCallback callback) throws Exception {
        String key = key(message);
        execute(message, callback, RobustMemoryOperation.exists, MemoryWork.reading(session -> session.exists(key)),
                outcome -> message.setBody(outcome.result()));
    }

    @InvokeOnHeader("keys")
    public void onKeys(Message message, AsyncCallback callback) {
        String prefix = message.getHeader(KEY_PREFIX, String.class);
        execute(message, callback, RobustMemoryOperation.keys, MemoryWork.reading(session -> session.keys(prefix)),
                outcome -> message.setBody(outcome.result()));
    }

    @InvokeOnHeader("clear")
    public void onClear(Message message, AsyncCallback callback) {
        String prefix = message.getHeader(KEY_PREFIX, String.class);
        execute(message, callback, RobustMemoryOperation.clear, fenced(message, session -> session.clear(prefix)),
                outcome -> {
                    message.setBody(outcome.result());
                    message.setHeader(FENCING_TOKEN, outcome.fencingToken());
                });
    }

    @InvokeOnHeader("size")
    public void onSize(Message message, AsyncCallback callback) {
        execute(message, callback, RobustMemoryOperation.size, MemoryWork.reading(MemorySession::size),
                outcome -> message.setBody(outcome.result()));
    }

    @InvokeOnHeader("increment")
    public void onIncrement(Message message, AsyncCallback callback) throws Exception {
        String key = key(message);
        long delta = delta(message.getBody());
        Duration ttl = ttl(message);
        execute(message, callback, RobustMemoryOperation.increment,
                fenced(message, session -> session.increment(key, delta, ttl)),
                outcome -> {
                    message.setBody(codec.decode(outcome.result().value()));
                    message.setHeader(VERSION, outcome.result().version());
                    setExpiresAt(message, outcome.result());
                    message.setHeader(FENCING_TOKEN, outcome.fencingToken());
                });
    }

    @InvokeOnHeader("loadAll")
    public void onLoadAll(Message message, AsyncCallback callback) {
        List<String> keys = keysOfBody(message);
        execute(message, callback, RobustMemoryOperation.loadAll,
                MemoryWork.reading(session -> session.loadAll(keys)), outcome -> {
                    Map<String, Object> values = new LinkedHashMap<>();
                    Map<String, Long> versions = new LinkedHashMap<>();
                    for (MemoryEntry entry : outcome.result().values()) {
                        values.put(entry.key(), codec.decode(entry.value()));
                        versions.put(entry.key(), entry.version());
                    }
                    message.setBody(values);
                    message.setHeader(VERSIONS, versions);
                });
    }

    @InvokeOnHeader("storeAll")
    public void onStoreAll(Message message, AsyncCallback callback) throws Exception {
        Map<String, StoredValue> values = valuesOfBody(message);
        Map<String, Long> expectedVersions = expectedVersions(message);
        Duration ttl = ttl(message);
        execute(message, callback, RobustMemoryOperation.storeAll,
                fenced(message, session -> session.storeAll(values, expectedVersions, ttl)), outcome -> {
                    Map<String, Long> versions = new LinkedHashMap<>();
                    outcome.result().forEach((key, entry) -> versions.put(key, entry.version()));
                    message.setHeader(VERSIONS, versions);
                    message.setHeader(FENCING_TOKEN, outcome.fencingToken());
                });
    }

    @InvokeOnHeader("deleteAll")
    public void onDeleteAll(Message message, AsyncCallback callback) {
        List<String> keys = keysOfBody(message);
        execute(message, callback, RobustMemoryOperation.deleteAll, fenced(message, session -> session.deleteAll(keys)),
                outcome -> {
                    message.setBody((long) outcome.result().size());
                    message.setHeader(FENCING_TOKEN, outcome.fencingToken());
                });
    }

    @InvokeOnHeader("getAndSet")
    public void onGetAndSet(Message message, AsyncCallback callback) throws Exception {
        String key = key(message);
        StoredValue value = checkedValue(message);
        OptionalLong expectedVersion = expectedVersion(message);
        Duration ttl = ttl(message);
        execute(message, callback, RobustMemoryOperation.getAndSet, fenced(message, session -> {
            Optional<MemoryEntry> previous = session.load(key);
            return new Replacement(previous, session.store(key, value, expectedVersion, ttl));
        }), outcome -> {
            Replacement replacement = outcome.result();
            message.setBody(replacement.previous().map(entry -> codec.decode(entry.value())).orElse(null));
            message.setHeader(FOUND, replacement.previous().isPresent());
            message.setHeader(VERSION, replacement.now().version());
            setExpiresAt(message, replacement.now());
            message.setHeader(FENCING_TOKEN, outcome.fencingToken());
        });
    }

    @InvokeOnHeader("putIfAbsent")
    public void onPutIfAbsent(Message message, AsyncCallback callback) throws Exception {
        String key = key(message);
        StoredValue value = checkedValue(message);
        Duration ttl = ttl(message);
        execute(message, callback, RobustMemoryOperation.putIfAbsent, fenced(message, session -> {
            Optional<MemoryEntry> previous = session.load(key);
            return new Replacement(previous, previous.isPresent()
                                             ? previous.get() : session.store(key, value, OptionalLong.empty(), ttl));
        }), outcome -> {
            Replacement replacement = outcome.result();
            message.setBody(codec.decode(replacement.now().value()));
            message.setHeader(FOUND, replacement.previous().isPresent());
            message.setHeader(VERSION, replacement.now().version());
            setExpiresAt(message, replacement.now());
            message.setHeader(FENCING_TOKEN, outcome.fencingToken());
        });
    }

    /** Takes no lock (the inspection only tries it), but reads lock files: done off the calling thread too. */
    @InvokeOnHeader("cleanup")
    public void onCleanup(Message message, AsyncCallback callback) {
        if (inspector == null) {
            message.getExchange().setException(new UnsupportedOperationException(
                    "The cleanup operation inspects the lock files of the duckdb backend; a memory on PostgreSQL has"
                    + " none (the server ends the transactions of a client that died)"));
            callback.done(true);
            return;
        }
        Runnable cleanup = () -> complete(message, callback, () -> {
            message.setBody(inspector.inspect().stream().map(LockEvents::toMap).toList());
            if (statistics != null) {
                setTotals(message);
            }
        });
        if (synchronous) {
            cleanup.run();
        } else {
            completions.execute(cleanup);
        }
    }

    /**
     * A write, fenced by the named lock grant the message carries (headers {@code CamelRobustMemoryLockName} and
     * {@code CamelRobustMemoryLockToken}, as the lock policy sets them): it runs only while that token is the newest
     * grant of the name, else fails with a {@link dev.robustmemory.memory.FencedWriteException} and writes nothing.
     * A message without either header is not fenced.
     */
    private static <T> MemoryWork<T> fenced(Message message, MemoryWork<T> write) {
        String lockName = message.getHeader(LOCK_NAME, String.class);
        Object token = message.getHeader(LOCK_TOKEN);
        if (lockName == null && token == null) {
            return write;
        }
        if (lockName == null || token == null) {
            throw new IllegalArgumentException("A fenced write needs both headers " + LOCK_NAME + " and " + LOCK_TOKEN
                                               + "; this message has only " + (lockName == null ? LOCK_TOKEN
                                                                                                 : LOCK_NAME));
        }
        long grantToken = wholeNumber(token, "header " + LOCK_TOKEN);
        return session -> {
            session.requireNewestGrant(lockName, grantToken);
            return write.run(session);
        };
    }

    /**
     * Queues the work for the lock, waiting at most this message's lock timeout, and returns at once; when the
     * outcome comes (on the component's completion executor), records what the lock request came to, applies the
     * outcome to the message and lets the exchange continue. What fails before the work is queued is thrown here.
     */
    private <T> void execute(Message message, AsyncCallback callback, RobustMemoryOperation operation,
                             MemoryWork<T> work, OutcomeHandler<T> onSuccess) {
        Duration lockTimeout = lockTimeout(message);
        long start = System.nanoTime();
        CompletionStage<Outcome<T>> pending;
        try {
            pending = synchronous
                      ? executeHere(lockTimeout, work)
                      : store.executeAsync(lockTimeout, work, completions);
        } catch (RuntimeException e) {
            recordFailure(message, operation, e, start);
            throw e;
        }
        pending.whenComplete((outcome, failure) -> complete(message, callback, () -> {
            if (failure == null) {
                recordSuccess(message, operation, outcome, start);
                onSuccess.apply(outcome);
                return;
            }
            if (failure instanceof Exception e) { // an Error is not a lock request's outcome: not counted
                recordFailure(message, operation, e, start);
            }
            message.getExchange().setException(failure);
        }));
    }

    /** The synchronous option: the outcome, or the failure, of the work run while this thread waits. */
    private <T> CompletionStage<Outcome<T>> executeHere(Duration lockTimeout, MemoryWork<T> work) {
        try {
            return CompletableFuture.completedFuture(store.execute(lockTimeout, work));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Finishes an exchange that went asynchronous: whatever the step throws fails it, and it continues in any case. */
    private static void complete(Message message, AsyncCallback callback, CompletionStep step) {
        try {
            step.run();
        } catch (Exception e) {
            message.getExchange().setException(e);
        } finally {
            callback.done(false);
        }
    }

    private <T> void recordSuccess(Message message, RobustMemoryOperation operation, Outcome<T> outcome, long start) {
        monitor.collectTakeovers(store);
        if (statistics != null) {
            statistics.recordCompleted(operation, outcome.waitNanos(), outcome.holdNanos(), System.nanoTime() - start);
            message.setHeader(LOCK_WAIT_TIME, LockStatistics.millis(outcome.waitNanos()));
            message.setHeader(LOCK_HOLD_TIME, LockStatistics.millis(outcome.holdNanos()));
            setTotals(message);
        }
    }

    private void recordFailure(Message message, RobustMemoryOperation operation, Exception failure, long start) {
        monitor.collectTakeovers(store); // the lock may have been taken over even if the work failed
        if (statistics != null) {
            long elapsed = System.nanoTime() - start;
            if (LockStatistics.TIMEOUT.equals(statistics.recordFailed(operation, failure, elapsed))) {
                message.setHeader(LOCK_WAIT_TIME, LockStatistics.millis(elapsed));
            }
            setTotals(message);
        }
    }

    /** The memory's running totals, including this operation (and any that other threads finished meanwhile). */
    private void setTotals(Message message) {
        LockStatistics.Snapshot totals = statistics.snapshot();
        message.setHeader(LOCK_ACQUISITIONS, totals.acquisitions());
        message.setHeader(LOCK_FAILURES, totals.failures());
        message.setHeader(LOCK_TIMEOUTS, totals.timeouts());
        message.setHeader(ORPHANED_LOCKS_CLEANED, totals.orphansCleaned());
        message.setHeader(AVG_WAIT_TIME, totals.avgWaitMillis());
        message.setHeader(MAX_WAIT_TIME, totals.maxWaitMillis());
        if (totals.requests() > 0) {
            message.setHeader(SUCCESS_RATE, totals.successRate());
        }
    }

    /**
     * The header's timeout for this message only, else the memory's timeout set through JMX, else the endpoint's;
     * nothing shared is changed.
     */
    private Duration lockTimeout(Message message) {
        Object override = message.getHeader(LOCK_TIMEOUT);
        return override == null
               ? monitor.lockTimeout(defaultLockTimeout) : Durations.fromHeader("header " + LOCK_TIMEOUT, override);
    }

    /** The message's time to live: the header's, else the endpoint's; null for ever. */
    private Duration ttl(Message message) {
        Object override = message.getHeader(TTL);
        return override == null ? defaultTtl
               : RobustMemoryConfiguration.positive("header " + TTL, override,
                       Durations.fromHeader("header " + TTL, override));
    }

    /** When the entry expires, or no header when it never does (nor for an absent entry). */
    private static void setExpiresAt(Message message, MemoryEntry entry) {
        if (entry != null && entry.expiresAt().isPresent()) {
            message.setHeader(EXPIRES_AT, entry.expiresAt().get());
        } else {
            message.removeHeader(EXPIRES_AT);
        }
    }

    private String key(Message message) throws CamelExchangeException {
        String key = message.getHeader(KEY, String.class);
        if (key == null) {
            key = endpoint.getKey();
        }
        if (key == null) {
            throw new CamelExchangeException("No key: give one in the URI (robustmemory:<key>) or in header " + KEY,
                    message.getExchange());
        }
        store.checkKey(key);
        return key;
    }

    /**
     * The body's stored form, refused here (before the lock is taken) when it is too large. A body that reading
     * consumed is replaced by the value at once, so that the rest of the route, and a redelivery after a failed
     * store, see what was read.
     */
    private StoredValue checkedValue(Message message) throws IOException {
        Object body = message.getBody();
        StoredValue value = codec.encode(body, message.getExchange());
        if (BodyCodec.isConsumedByReading(body)) {
            message.setBody(codec.decode(value));
        }
        store.checkValue(value);
        return value;
    }

    /** The keys a batch operation's body names: a collection or array of texts, each checked, duplicates once. */
    private List<String> keysOfBody(Message message) {
        Collection<?> given = collectionOfBody(message.getBody());
        LinkedHashSet<String> keys = new LinkedHashSet<>();
        for (Object key : given) {
            if (!(key instanceof CharSequence)) {
                throw new IllegalArgumentException("The keys of a batch operation must be texts, not "
                                                   + (key == null ? "null" : key.getClass().getName()));
            }
            store.checkKey(key.toString());
            keys.add(key.toString());
        }
        checkBatchSize(keys.size());
        return new ArrayList<>(keys);
    }

    private static Collection<?> collectionOfBody(Object body) {
        if (body instanceof Collection<?> collection) {
            return collection;
        }
        if (body instanceof Object[] array) {
            return List.of(array);
        }
        if (body instanceof Iterable<?> iterable) {
            List<Object> items = new ArrayList<>();
            iterable.forEach(items::add);
            return items;
        }
        throw new IllegalArgumentException("The body of a batch operation must be a collection or array of keys, not "
                                           + (body == null ? "null" : body.getClass().getName()));
    }

    /** The entries of a storeAll body in their stored form, each checked before the lock is taken. */
    private Map<String, StoredValue> valuesOfBody(Message message) throws IOException {
        if (!(message.getBody() instanceof Map<?, ?> body)) {
            Object given = message.getBody();
            throw new IllegalArgumentException("The body of storeAll must be a Map of keys to values, not "
                                               + (given == null ? "null" : given.getClass().getName()));
        }
        checkBatchSize(body.size());
        Map<String, StoredValue> values = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : body.entrySet()) {
            if (!(entry.getKey() instanceof CharSequence key)) {
                throw new IllegalArgumentException("The keys of a storeAll body must be texts, not "
                                                   + (entry.getKey() == null ? "null" : entry.getKey().getClass().getName()));
            }
            store.checkKey(key.toString());
            StoredValue value = codec.encode(entry.getValue(), message.getExchange());
            store.checkValue(value);
            values.put(key.toString(), value);
        }
        return values;
    }

    private static void checkBatchSize(int keys) {
        if (keys > MAX_BATCH_KEYS) {
            throw new IllegalArgumentException("A batch operation takes at most " + MAX_BATCH_KEYS + " keys, not "
                                               + keys);
        }
    }

    private static Map<String, Long> expectedVersions(Message message) {
        Object header = message.getHeader(EXPECTED_VERSIONS);
        if (header == null) {
            return Map.of();
        }
        if (!(header instanceof Map<?, ?> given)) {
            throw new IllegalArgumentException("Header " + EXPECTED_VERSIONS + " must be a Map of keys to versions, not "
                                               + header.getClass().getName());
        }
        Map<String, Long> versions = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : given.entrySet()) {
            String what = "the expected version of key '" + entry.getKey() + "' in header " + EXPECTED_VERSIONS;
            if (entry.getValue() == null) {
                throw new IllegalArgumentException(what + " must not be null");
            }
            versions.put(String.valueOf(entry.getKey()), wholeNumber(entry.getValue(), what));
        }
        return versions;
    }

    private static OptionalLong expectedVersion(Message message) {
        Object expected = message.getHeader(EXPECTED_VERSION);
        if (expected == null) {
            return OptionalLong.empty();
        }
        long version = wholeNumber(expected, "header " + EXPECTED_VERSION);
        if (version < 0) {
            throw new IllegalArgumentException("Header " + EXPECTED_VERSION + " must not be negative: " + version);
        }
        return OptionalLong.of(version);
    }

    /** How much increment adds: the body as a whole number, 1 when the body is null. */
    private static long delta(Object body) {
        return body == null ? 1 : wholeNumber(body, "the increment body");
    }

    private static long wholeNumber(Object value, String what) {
        try {
            if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
                return ((Number) value).longValue();
            }
            if (value instanceof BigInteger number) {
                return number.longValueExact();
            }
            if (value instanceof BigDecimal number) {
                return number.longValueExact();
            }
            if (value instanceof CharSequence text) {
                return Long.parseLong(text.toString().trim());
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a whole number that fits a long, not '" + value + "'");
        }
        throw new IllegalArgumentException(what + " must be a whole number (Long, Integer or numeric text), not "
                                           + value.getClass().getName() + " '" + value + "'");
    }

    /** A key's entry before and after getAndSet or putIfAbsent. */
    private record Replacement(Optional<MemoryEntry> previous, MemoryEntry now) {
    }

    /** What a successful outcome does to the message. */
    @FunctionalInterface
    private interface OutcomeHandler<T> {
        void apply(Outcome<T> outcome) throws Exception;
    }

    /** The last step of an asynchronous operation, run on the completion executor. */
    @FunctionalInterface
    private interface CompletionStep {
        void run() throws Exception;
    }
}
