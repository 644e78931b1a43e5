package dev.robustmemory.camel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Collects the bodies of a group's parts into a list body, in the order they were aggregated. Returns the old
 * exchange whenever there is one, as recoverable repositories need (the completed exchange is the one read from
 * the repository), and counts the optimistic locking failures the aggregator reports.
 */
final class PartsAggregationStrategy implements AggregationStrategy {

    private final AtomicInteger optimisticLockFailures = new AtomicInteger();
    private final Map<Object, Runnable> interleavings = new ConcurrentHashMap<>();

    /** Runs {@code action} once, the first time a part with this body is aggregated, before aggregating it. */
    void interleaveOnce(Object body, Runnable action) {
        interleavings.put(body, action);
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Runnable interleaving = interleavings.remove(newExchange.getIn().getBody());
        if (interleaving != null) {
            interleaving.run();
        }
        if (oldExchange == null) {
            List<Object> parts = new ArrayList<>();
            parts.add(newExchange.getIn().getBody());
            newExchange.getIn().setBody(parts);
            return newExchange;
        }
        oldExchange.getIn().getBody(List.class).add(newExchange.getIn().getBody());
        return oldExchange;
    }

    @Override
    public void onOptimisticLockFailure(Exchange oldExchange, Exchange newExchange) {
        optimisticLockFailures.incrementAndGet();
    }

    int optimisticLockFailures() {
        return optimisticLockFailures.get();
    }
}
