package dev.robustmemory.camel;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.MemoryChange;
import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.support.ScheduledPollConsumer;
import org.apache.camel.util.json.DeserializationException;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.robustmemory.camel.RobustMemoryConstants.CHANGE_TYPE;
import static dev.robustmemory.camel.RobustMemoryConstants.EXPIRES_AT;
import static dev.robustmemory.camel.RobustMemoryConstants.FENCING_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static dev.robustmemory.camel.RobustMemoryConstants.REVISION;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;

/**
 * The changes consumer ({@code consumerType=changes}): every poll reads the memory's change log after the position
 * it reached and emits one exchange per committed change, by any process, in commit order (revision, then key), each
 * change once in a run and never one that was not committed. With {@code resumeKey} the position is stored in the
 * memory after each poll's exchanges (and before one that failed, which the next poll emits again), and read when
 * the consumer starts: at least once, in order, across restarts.
 *
 * <p>The first poll asks the memory to keep its change log ({@code changeRetention}); the route's start takes no
 * lock and opens no database. Each poll applies the journal to DuckDB, as {@code keys} does.
 */
public class RobustMemoryChangeConsumer extends ScheduledPollConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(RobustMemoryChangeConsumer.class);

    /** The most changes one poll reads: a greedy consumer ({@code greedy=true}) polls again at once for more. */
    static final int PAGE_SIZE = 1000;
    public static final String STORED = "STORED";
    public static final String DELETED = "DELETED";

    private final RobustMemoryConfiguration configuration;
    private final BodyCodec codec;
    private final Duration retention;
    private final Duration lockTimeout;
    private Memory store;
    /** Where this consumer is in the log; null until the first poll after a start found it. */
    private MemoryChange.Position position;
    /** Whether exchanges were emitted since the position was last stored. */
    private boolean unstored;

    public RobustMemoryChangeConsumer(RobustMemoryEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.configuration = endpoint.getConfiguration();
        this.codec = new BodyCodec(configuration.getMaxValueSize());
        this.retention = configuration.changeRetentionDuration();
        this.lockTimeout = configuration.lockTimeoutDuration();
    }

    @Override
    public RobustMemoryEndpoint getEndpoint() {
        return (RobustMemoryEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        store = getEndpoint().memory();
        synchronized (this) { // after a poll of the run before, if one is still finishing: it stores its position
            position = null; // a restarted consumer resumes from the stored position, as a new process would
            unstored = false;
        }
        if (configuration.getResumeKey() != null) {
            store.checkKey(configuration.getResumeKey());
        }
        super.doStart();
    }

    /** Synchronized: a poll of the run before this start may still be finishing, and must not emit alongside. */
    @Override
    protected synchronized int poll() throws Exception {
        if (position == null) {
            String resumeKey = configuration.getResumeKey();
            position = store.execute(lockTimeout, session -> {
                session.keepChanges(retention);
                Optional<MemoryEntry> stored = resumeKey == null ? Optional.empty() : session.load(resumeKey);
                return stored.isPresent() ? storedPosition(stored.get())
                       : MemoryChange.Position.afterRevision(session.revision());
            }).result();
        }
        List<MemoryChange> changes = store.execute(lockTimeout,
                session -> session.changesAfter(position, configuration.getKeyPrefix(), PAGE_SIZE)).result();
        int emitted = 0;
        for (MemoryChange change : changes) {
            if (!change.key().equals(configuration.getResumeKey())) {
                if (!emit(change)) {
                    break;
                }
                emitted++;
                unstored = true;
            }
            position = change.position();
        }
        storeUnstoredPosition();
        return emitted;
    }

    /**
     * The stop interrupts a poll that is running (Camel cancels its task): what it emitted is stored here, once the
     * poll has given up the monitor, so that a clean stop and start emit nothing twice.
     */
    @Override
    protected void doStop() throws Exception {
        super.doStop();
        synchronized (this) {
            boolean interrupted = Thread.interrupted();
            try {
                storeUnstoredPosition();
            } catch (Exception e) {
                LOG.warn("Could not store the position of the changes consumer at resume key '{}'; the next start"
                         + " emits the changes after the position stored before again: {}",
                        configuration.getResumeKey(), e.getMessage());
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Stores the position when exchanges were emitted since it was last stored: storing it is a change too, which
     * the next poll skips without storing again, or the consumer would never rest.
     */
    private void storeUnstoredPosition() throws Exception {
        if (unstored && position != null) {
            storePosition(position);
            unstored = false;
        }
    }

    /** @return false when the exchange failed: the poll stops before it, and the next one emits it again */
    private boolean emit(MemoryChange change) throws Exception {
        Exchange exchange = createExchange(false);
        try {
            write(change, exchange.getIn());
            getProcessor().process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        }
        boolean failed = exchange.getException() != null;
        if (failed) {
            getExceptionHandler().handleException("Error processing the robustmemory change of key '"
                                                  + change.key() + "' at revision " + change.revision(), exchange,
                    exchange.getException());
        }
        releaseExchange(exchange, false);
        return !failed;
    }

    private void write(MemoryChange change, Message message) {
        message.setHeader(KEY, change.key());
        message.setHeader(REVISION, change.revision());
        message.setHeader(CHANGE_TYPE, change.entry().isPresent() ? STORED : DELETED);
        if (change.entry().isPresent()) {
            MemoryEntry entry = change.entry().get();
            message.setHeader(VERSION, entry.version());
            message.setHeader(FENCING_TOKEN, entry.fencingToken());
            entry.expiresAt().ifPresent(expiresAt -> message.setHeader(EXPIRES_AT, expiresAt));
            message.setBody(configuration.isIncludeValues() ? codec.decode(entry.value()) : null);
        }
    }

    /** The position stored at the resume key: {@code {"revision": 42, "key": "order/7"}} (a null key: all of 42). */
    private MemoryChange.Position storedPosition(MemoryEntry stored) {
        StoredValue value = stored.value();
        try {
            if (value.kind() == ValueKind.JSON && Jsoner.deserialize(value.text()) instanceof JsonObject object
                && object.get("revision") instanceof Number revision
                && (object.get("key") == null || object.get("key") instanceof String)) {
                return new MemoryChange.Position(revision.longValue(), (String) object.get("key"));
            }
        } catch (DeserializationException e) {
            // refused below, with what was found
        }
        throw new IllegalArgumentException("The resume key '" + stored.key() + "' holds " + value + ", not a position"
                                           + " this consumer stored ({\"revision\": 42, \"key\": \"k\"}); delete it"
                                           + " to start after the latest change, or name another resumeKey");
    }

    private void storePosition(MemoryChange.Position reached) throws Exception {
        String resumeKey = configuration.getResumeKey();
        if (resumeKey == null) {
            return;
        }
        Map<String, Object> stored = new LinkedHashMap<>();
        stored.put("revision", reached.revision());
        stored.put("key", reached.key());
        StoredValue value = StoredValue.json(Jsoner.serialize(stored));
        store.execute(lockTimeout, session -> session.store(resumeKey, value, OptionalLong.empty()));
    }
}
