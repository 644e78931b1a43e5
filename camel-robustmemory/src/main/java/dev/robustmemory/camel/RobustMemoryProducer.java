package dev.robustmemory.camel;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import dev.robustmemory.store.MemoryEntry;
import dev.robustmemory.store.MemoryStore;
import dev.robustmemory.store.MemoryWork;
import dev.robustmemory.store.Outcome;
import dev.robustmemory.store.StoredValue;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelExchangeException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.spi.InvokeOnHeader;
import org.apache.camel.support.HeaderSelectorProducer;

import static dev.robustmemory.camel.RobustMemoryConstants.AVG_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.EXPECTED_VERSION;
import static dev.robustmemory.camel.RobustMemoryConstants.FENCING_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.FOUND;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY_PREFIX;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_ACQUISITIONS;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_FAILURES;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_HOLD_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUT;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUTS;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.MAX_WAIT_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.OPERATION;
import static dev.robustmemory.camel.RobustMemoryConstants.ORPHANED_LOCKS_CLEANED;
import static dev.robustmemory.camel.RobustMemoryConstants.SUCCESS_RATE;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;

/**
 * Performs one memory operation per message: the header {@code CamelRobustMemoryOperation}, else the endpoint's
 * {@code operation} option, selects one of the {@code @InvokeOnHeader} methods below. Each runs exactly one
 * {@link MemoryStore#execute} call, so each message takes the lock once and commits or rolls back as a whole.
 *
 * <p>Bodies after each operation: store keeps the body (a stream body, which storing consumes, is replaced by the
 * bytes stored); load puts the value; exists and delete a Boolean; keys a sorted {@code List<String>}; clear and
 * size a Long count; increment the new value as a Long; cleanup the list of lock events found (each a Map).
 *
 * <p>With {@code monitorLocks} (the default) every lock request is counted in the memory's {@link LockStatistics}
 * and the message gets this operation's wait and hold times and the memory's totals as headers, also when the
 * operation failed. A takeover from a holder that died holding the lock is kept for the memory's consumers either
 * way, since no later inspection can find it.
 */
public class RobustMemoryProducer extends HeaderSelectorProducer {

    private final RobustMemoryEndpoint endpoint;
    private final BodyCodec codec;
    private MemoryStore store;
    private MemoryMonitor monitor;
    /** Null when monitorLocks is off: then nothing is measured or set. */
    private LockStatistics statistics;
    private LockInspector inspector;
    private Duration defaultLockTimeout;

    public RobustMemoryProducer(RobustMemoryEndpoint endpoint) {
        super(endpoint, OPERATION, () -> endpoint.getConfiguration().getOperation().name());
        this.endpoint = endpoint;
        this.codec = new BodyCodec(endpoint.getConfiguration().getMaxValueSize());
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        store = endpoint.store();
        monitor = endpoint.getComponent().monitor(store.settings());
        statistics = endpoint.statisticsIfMonitored(store);
        inspector = endpoint.inspector(store);
        defaultLockTimeout = endpoint.getConfiguration().lockTimeoutDuration();
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
    public void onStore(Message message) throws Exception {
        String key = key(message);
        Object body = message.getBody();
        StoredValue value = checkedValue(body);
        OptionalLong expectedVersion = expectedVersion(message);
        Outcome<MemoryEntry> outcome = execute(message, RobustMemoryOperation.store,
                session -> session.store(key, value, expectedVersion));
        if (body instanceof InputStream) {
            message.setBody(value.bytes());
        }
        message.setHeader(VERSION, outcome.result().version());
        message.setHeader(FENCING_TOKEN, outcome.fencingToken());
    }

    @InvokeOnHeader("load")
    public void onLoad(Message message) throws Exception {
        String key = key(message);
        Optional<MemoryEntry> entry =
                execute(message, RobustMemoryOperation.load, session -> session.load(key)).result();
        message.setHeader(FOUND, entry.isPresent());
        message.setHeader(VERSION, entry.map(MemoryEntry::version).orElse(0L));
        message.setBody(entry.map(found -> codec.decode(found.value())).orElse(null));
    }

    @InvokeOnHeader("delete")
    public void onDelete(Message message) throws Exception {
        String key = key(message);
        Outcome<Boolean> outcome = execute(message, RobustMemoryOperation.delete, session -> session.delete(key));
        message.setBody(outcome.result());
        message.setHeader(FENCING_TOKEN, outcome.fencingToken());
    }

    @InvokeOnHeader("exists")
    public void onExists(Message message) throws Exception {
        String key = key(message);
        message.setBody(execute(message, RobustMemoryOperation.exists, session -> session.exists(key)).result());
    }

    @InvokeOnHeader("keys")
    public void onKeys(Message message) throws Exception {
        String prefix = message.getHeader(KEY_PREFIX, String.class);
        List<String> keys = execute(message, RobustMemoryOperation.keys, session -> session.keys(prefix)).result();
        message.setBody(keys);
    }

    @InvokeOnHeader("clear")
    public void onClear(Message message) throws Exception {
        String prefix = message.getHeader(KEY_PREFIX, String.class);
        Outcome<Long> outcome = execute(message, RobustMemoryOperation.clear, session -> session.clear(prefix));
        message.setBody(outcome.result());
        message.setHeader(FENCING_TOKEN, outcome.fencingToken());
    }

    @InvokeOnHeader("size")
    public void onSize(Message message) throws Exception {
        message.setBody(execute(message, RobustMemoryOperation.size, session -> session.size()).result());
    }

    @InvokeOnHeader("increment")
    public void onIncrement(Message message) throws Exception {
        String key = key(message);
        long delta = delta(message.getBody());
        Outcome<MemoryEntry> outcome = execute(message, RobustMemoryOperation.increment,
                session -> session.increment(key, delta));
        message.setBody(codec.decode(outcome.result().value()));
        message.setHeader(VERSION, outcome.result().version());
        message.setHeader(FENCING_TOKEN, outcome.fencingToken());
    }

    @InvokeOnHeader("cleanup")
    public void onCleanup(Message message) throws Exception {
        message.setBody(inspector.inspect().stream().map(LockEvents::toMap).toList());
        if (statistics != null) {
            setTotals(message);
        }
    }

    /**
     * Runs the work under the lock, waiting at most this message's lock timeout, and records what the lock request
     * came to.
     */
    private <T> Outcome<T> execute(Message message, RobustMemoryOperation operation, MemoryWork<T> work)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        Outcome<T> outcome;
        try {
            outcome = store.execute(lockTimeout(message), work);
        } catch (InterruptedException e) {
            // The exchange fails with it, but the thread's owner (a shutting-down executor) must still see it.
            // Not counted: an interrupted wait says nothing about the lock.
            Thread.currentThread().interrupt();
            throw e;
        } catch (IOException | RuntimeException e) {
            monitor.collectTakeovers(store); // the lock may have been taken over even if the work failed
            if (statistics != null) {
                long elapsed = System.nanoTime() - start;
                if (LockStatistics.TIMEOUT.equals(statistics.recordFailed(operation, e, elapsed))) {
                    message.setHeader(LOCK_WAIT_TIME, LockStatistics.millis(elapsed));
                }
                setTotals(message);
            }
            throw e;
        }
        monitor.collectTakeovers(store);
        if (statistics != null) {
            statistics.recordCompleted(operation, outcome.waitNanos(), outcome.holdNanos(), System.nanoTime() - start);
            message.setHeader(LOCK_WAIT_TIME, LockStatistics.millis(outcome.waitNanos()));
            message.setHeader(LOCK_HOLD_TIME, LockStatistics.millis(outcome.holdNanos()));
            setTotals(message);
        }
        return outcome;
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

    /** The header's timeout for this message only, else the endpoint's; nothing shared is changed. */
    private Duration lockTimeout(Message message) {
        Object override = message.getHeader(LOCK_TIMEOUT);
        return override == null ? defaultLockTimeout : Durations.fromHeader("header " + LOCK_TIMEOUT, override);
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

    /** The body's stored form, refused here (before the lock is taken) when it is too large. */
    private StoredValue checkedValue(Object body) throws IOException {
        StoredValue value = codec.encode(body);
        store.checkValue(value);
        return value;
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
}
