package dev.robustmemory.camel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.robustmemory.duckdb.lock.LockEvent;
import dev.robustmemory.memory.Memory;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.ScheduledPollConsumer;

/**
 * The orphan-cleanup consumer: every poll inspects the memory's lock file (and, with {@code lockDirectory}, the
 * robustmemory lock files in that directory) and emits one exchange per event, with the event's headers and a Map
 * body (see {@link RobustMemoryConstants}).
 *
 * <p>Besides what the inspection finds, a poll reports the takeovers noticed since the last poll by this
 * component's producers of the same memory (an acquisition that found a dead holder's record and replaced it, which
 * no inspection can see afterwards) and by opening the memory.
 *
 * <p><b>Each event once.</b> A situation that persists is reported when first seen, not at every poll: a stale
 * holder once per holding (pid, host, process start, acquisition time), a foreign-host record once per record, an
 * orphan that is not cleaned ({@code cleanupOrphaned=false}) once, a corrupt record once per content. The memory of
 * what was reported is per consumer and bounded; a consumer that restarts may report a persisting situation again.
 */
public class RobustMemoryConsumer extends ScheduledPollConsumer {

    /** How many reported events a consumer remembers, to report each once; beyond that the oldest is forgotten. */
    static final int REMEMBERED_EVENTS = 4096;

    private final Map<String, Boolean> reported = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_EVENTS;
        }
    };
    private Memory store;
    private MemoryMonitor monitor;
    private LockInspector inspector;

    public RobustMemoryConsumer(RobustMemoryEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    @Override
    public RobustMemoryEndpoint getEndpoint() {
        return (RobustMemoryEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        store = getEndpoint().memory();
        monitor = getEndpoint().getComponent().monitor(getEndpoint().location());
        inspector = getEndpoint().inspector(store);
        getEndpoint().statisticsIfMonitored(store); // registers the memory's meters
        super.doStart();
    }

    @Override
    protected int poll() throws Exception {
        monitor.collectTakeovers(store);
        List<LockEvent> found = new ArrayList<>(monitor.drainKeptEvents());
        found.addAll(inspector.inspect());
        List<LockEvent> fresh = new ArrayList<>();
        synchronized (reported) { // polls do not overlap, but a consumer may be restarted on another thread
            for (LockEvent event : found) {
                if (reported.put(LockEvents.identity(event), Boolean.TRUE) == null) {
                    fresh.add(event);
                }
            }
        }
        for (LockEvent event : fresh) {
            Exchange exchange = createExchange(false);
            try {
                LockEvents.write(event, exchange.getIn());
                getProcessor().process(exchange);
            } catch (Exception e) {
                exchange.setException(e);
            }
            if (exchange.getException() != null) {
                getExceptionHandler().handleException("Error processing the robustmemory lock event", exchange,
                        exchange.getException());
            }
            releaseExchange(exchange, false);
        }
        return fresh.size();
    }
}
