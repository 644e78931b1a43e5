package dev.robustmemory.camel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.robustmemory.memory.NamedLockHold;
import org.apache.camel.Exchange;
import org.apache.camel.spi.SynchronizationVetoable;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * The named locks one exchange holds through lock policies, kept in its property
 * {@link RobustMemoryLockPolicy#HOLDINGS}: by name, the grant and how deep the exchange is in blocks of that name.
 *
 * <p>Camel copies exchange properties shallowly, so a copy (split, multicast, wire tap) finds its parent's holdings in
 * the property. They name the exchange that owns them: a copy gets holdings of its own, which remember the parent's
 * only to refuse a block of a name the parent holds (ownership is not inherited, and waiting for it would wait for
 * the parent, which waits for the copy).
 *
 * <p>When the exchange completes, anything still held is released (a safety net: the block's callback releases
 * first); the completion is never handed over to another exchange (a seda copy, say), which could complete while
 * the owner is still inside its block.
 */
final class LockHoldings extends SynchronizationAdapter implements SynchronizationVetoable {

    private final String ownerExchangeId;
    /** The holdings of the exchange this one was copied from, or null. */
    private final LockHoldings inherited;
    // Changed by the owner only, read by its copies too.
    private final Map<String, Holding> byName = new ConcurrentHashMap<>();
    private final AtomicBoolean watchingCompletion = new AtomicBoolean();

    private LockHoldings(String ownerExchangeId, LockHoldings inherited) {
        this.ownerExchangeId = ownerExchangeId;
        this.inherited = inherited;
    }

    /** The exchange's own holdings, created (and put in its property) when it has none yet. */
    static LockHoldings of(Exchange exchange) {
        LockHoldings found = exchange.getProperty(RobustMemoryLockPolicy.HOLDINGS, LockHoldings.class);
        // An aggregation may have carried a copy's holdings back onto the owner: look for the owner's own.
        for (LockHoldings candidate = found; candidate != null; candidate = candidate.inherited) {
            if (candidate.ownerExchangeId.equals(exchange.getExchangeId())) {
                exchange.setProperty(RobustMemoryLockPolicy.HOLDINGS, candidate);
                return candidate;
            }
        }
        LockHoldings own = new LockHoldings(exchange.getExchangeId(), found);
        exchange.setProperty(RobustMemoryLockPolicy.HOLDINGS, own);
        return own;
    }

    /**
     * The exchange's holding of the name, or null when it holds none.
     *
     * @throws IllegalStateException when an exchange it was copied from holds the name
     */
    Holding held(String name, Exchange exchange) {
        Holding own = byName.get(name);
        if (own != null) {
            return own;
        }
        for (LockHoldings parent = inherited; parent != null; parent = parent.inherited) {
            Holding parents = parent.byName.get(name);
            if (parents != null && !parents.released.get()) {
                throw new IllegalStateException("The named lock '" + name + "' is held by exchange "
                                                + parent.ownerExchangeId + ", of which exchange "
                                                + exchange.getExchangeId() + " is a copy (split, multicast, recipient"
                                                + " list, wire tap); ownership is not inherited, and waiting for it"
                                                + " would wait for the parent: lock outside the copies, or inside"
                                                + " them only");
            }
        }
        return null;
    }

    /** Records a new grant at depth one; the first one makes the exchange's completion a safety net. */
    Holding add(Exchange exchange, NamedLockHold grant, NamedLockMeters meters) {
        Holding holding = new Holding(grant, meters);
        byName.put(grant.name(), holding);
        if (watchingCompletion.compareAndSet(false, true)) {
            exchange.getExchangeExtension().addOnCompletion(this);
        }
        return holding;
    }

    @Override
    public void onDone(Exchange exchange) {
        byName.values().forEach(Holding::release);
        byName.clear();
    }

    @Override
    public boolean allowHandover() {
        return false;
    }

    /** One grant of a name and how many blocks of it the exchange is in. */
    final class Holding {
        private final NamedLockHold grant;
        private final NamedLockMeters meters;
        private final AtomicBoolean released = new AtomicBoolean();
        /** Changed by the owner exchange only, which is in one place at a time. */
        private int depth = 1;

        private Holding(NamedLockHold grant, NamedLockMeters meters) {
            this.grant = grant;
            this.meters = meters;
        }

        NamedLockHold grant() {
            return grant;
        }

        /** A nested block of the same name. */
        void reenter() {
            depth++;
        }

        /** Leaves a block; @return whether it was the outermost, which released the grant */
        boolean leave() {
            if (--depth > 0) {
                return false;
            }
            byName.remove(grant.name(), this);
            release();
            return true;
        }

        long heldNanos() {
            return System.nanoTime() - grant.acquiredAtNanos();
        }

        /** Releases the grant and counts it, once, whoever comes first: the block's end or the completion. */
        private void release() {
            if (released.compareAndSet(false, true)) {
                grant.close();
                if (meters != null) {
                    meters.released(heldNanos());
                }
            }
        }
    }
}
