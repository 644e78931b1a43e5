package dev.robustmemory.camel;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

import dev.robustmemory.duckdb.lock.NamedLocks;
import dev.robustmemory.memory.NamedLockHold;
import dev.robustmemory.memory.NamedLockService;
import dev.robustmemory.memory.NamedLockTimeoutException;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.Message;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.Policy;
import org.apache.camel.support.processor.DelegateAsyncProcessor;

import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_NAME;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TIMEOUT;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.NAMED_LOCK_HOLD_TIME;
import static dev.robustmemory.camel.RobustMemoryConstants.NAMED_LOCK_WAIT_TIME;

/**
 * A critical section in a route: {@code .policy("orderLock") ... .end()} runs the wrapped steps while the exchange
 * holds a named lock of a memory, excluding every other exchange, thread and process that uses the same name on the
 * same memory: on DuckDB those of the host ({@link NamedLocks}, {@code <database>.names.lock}); on PostgreSQL those of
 * every host (lease rows in {@code <tablePrefix>locks}, renewed while held, see {@link #setLease}). The memory is the
 * robustmemory component's (its backend, database or data source and table prefix), or this policy's database or
 * tablePrefix.
 *
 * <p><b>What it guarantees.</b> The name comes from {@link #setLockName an expression} evaluated per exchange. The
 * wrapped steps run only once the name is granted; a grant that does not come within the lock timeout fails the
 * exchange with {@link NamedLockTimeoutException} (whose message names the holder's newest grant: token, pid, time)
 * and the steps never run. The exchange owns the lock, not the thread: it is released when the wrapped steps are
 * done, by the callback that ends them, so asynchronous steps inside (threads, async delays, other threads' callbacks)
 * keep it until they end, and on every path (success, exception, handled exception). As a safety net the exchange's
 * completion releases whatever it still holds. A grant is released exactly once. A process killed with
 * {@code kill -9} inside the block frees the name at once on DuckDB, and when its lease ends on PostgreSQL.
 *
 * <p><b>Fencing.</b> Inside the block the message carries {@code CamelRobustMemoryLockName} and
 * {@code CamelRobustMemoryLockToken}, so {@code robustmemory:} writes in the block are fenced: the memory refuses a
 * write whose token is no longer the newest grant of the name ({@link dev.robustmemory.memory.FencedWriteException}),
 * which is what a holder that lost its lock without noticing would send. After the block the headers are what they
 * were before it. With nested blocks of different names the innermost name fences the writes inside it.
 *
 * <p><b>Re-entrance and copies.</b> A block of a name that the same exchange already holds (a nested policy, or a
 * route called from inside the block) does not acquire again; the outermost block releases. A copy of the exchange
 * (split, multicast, recipient list, wire tap) does not own its parent's locks: it sees the parent's headers, so its
 * writes inside the parent's block carry the parent's token, but a block of a name the parent holds fails the copy at
 * once with an {@link IllegalStateException} instead of waiting for its own parent forever.
 *
 * <p><b>Waiting.</b> Camel's thread does not wait for the lock: the acquisition waits on a thread of the policy's pool
 * and the exchange continues from there once granted; a timeout of zero tries once on the calling thread.
 */
@Metadata(label = "bean", title = "Robust Memory Lock Policy",
          description = "A route policy that runs the steps it wraps while the exchange holds a named lock shared by"
                        + " every process of the host using the same memory; writes inside are fenced by the grant's"
                        + " token.",
          annotations = { "interfaceName=org.apache.camel.spi.Policy" })
public class RobustMemoryLockPolicy implements Policy, CamelContextAware {

    /** The exchange property holding the exchange's named lock grants ({@link LockHoldings}). */
    public static final String HOLDINGS = "CamelRobustMemoryLockHoldings";

    @Metadata(required = true,
              description = "The name of the lock, in the simple language and evaluated per exchange (e.g."
                            + " ${header.orderId} or order-${body.id}), or plain text for one fixed name. Names are 1"
                            + " to 1024 UTF-8 bytes; an empty or invalid name fails the exchange before the block.")
    private String lockName;

    @Metadata(javaType = "java.time.Duration",
              description = "How long to wait for the name before failing the exchange with a"
                            + " NamedLockTimeoutException, e.g. 10s, 500ms or PT10S; 0 tries once. The header"
                            + " CamelRobustMemoryLockTimeout overrides it per message (and also applies to the"
                            + " memory's operations). Default: the robustmemory component's lockTimeout.")
    private String lockTimeout;

    @Metadata(description = "Path of the memory's DuckDB database file, whose named locks (<database>.names.lock)"
                            + " this policy takes and whose writes the grants fence. Default: the robustmemory"
                            + " component's database.")
    private String database;

    @Metadata(description = "PostgreSQL backend: the prefix of the memory's tables, whose locks table this policy"
                            + " uses. Default: the robustmemory component's tablePrefix.")
    private String tablePrefix;

    @Metadata(javaType = "java.time.Duration", defaultValue = "30s",
              description = "PostgreSQL backend: how long a grant lasts unless renewed, e.g. 30s. The holder renews"
                            + " it while the block runs; a holder that stops renewing (paused, cut off, killed) loses"
                            + " the name when its lease ends, and its fenced writes are refused from then on. Unused"
                            + " on DuckDB, where the kernel frees a dead holder's name at once.")
    private String lease = "30s";

    private Expression lockNameExpression;
    private CamelContext camelContext;

    public RobustMemoryLockPolicy() {
    }

    /** A policy over the name {@code lockName} (simple language) of the memory {@code database}. */
    public RobustMemoryLockPolicy(String database, String lockName) {
        setDatabase(database);
        setLockName(lockName);
    }

    public String getLockName() {
        return lockName;
    }

    /** The name as text in the simple language: {@code ${header.orderId}}, or plain text for a fixed name. */
    public void setLockName(String lockName) {
        this.lockName = lockName;
        this.lockNameExpression = null;
    }

    public Expression getLockNameExpression() {
        return lockNameExpression;
    }

    /** The name as an expression of any language, for Java routes: {@code header("orderId")}. */
    public void setLockNameExpression(Expression lockNameExpression) {
        this.lockNameExpression = lockNameExpression;
        this.lockName = null;
    }

    public String getLockTimeout() {
        return lockTimeout;
    }

    public void setLockTimeout(String lockTimeout) {
        this.lockTimeout = lockTimeout;
    }

    public String getDatabase() {
        return database;
    }

    public void setDatabase(String database) {
        this.database = database;
    }

    public String getTablePrefix() {
        return tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
        this.tablePrefix = tablePrefix;
    }

    public String getLease() {
        return lease;
    }

    public void setLease(String lease) {
        this.lease = lease;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public void beforeWrap(Route route, NamedNode definition) {
        // nothing to change in the definition: the lock is taken by the processor wrap returns
    }

    @Override
    public Processor wrap(Route route, Processor processor) {
        if (camelContext == null) { // bound in the registry by hand: no one injected the context
            camelContext = route.getCamelContext();
        }
        return new LockedBlock(processor);
    }

    /** The wrapped steps of one use of the policy; its pool and the named locks live as long as its route runs. */
    private final class LockedBlock extends DelegateAsyncProcessor {

        private Expression name;
        private Duration defaultTimeout;
        private NamedLockService locks;
        /** Null when the component's monitorLocks is off. */
        private NamedLockMeters meters;
        private ExecutorService waiters;

        LockedBlock(Processor processor) {
            super(processor);
        }

        @Override
        protected void doStart() throws Exception {
            RobustMemoryComponent component = camelContext.getComponent("robustmemory", RobustMemoryComponent.class);
            RobustMemoryConfiguration configuration = component.getConfiguration().copy();
            if (database != null) {
                configuration.setDatabase(database);
            }
            if (tablePrefix != null) {
                configuration.setTablePrefix(tablePrefix);
            }
            // Refuses a missing or unusable database path, or a PostgreSQL memory without a data source.
            MemoryLocation location = configuration.memoryLocation(camelContext);
            defaultTimeout = lockTimeout != null ? Durations.parse("lock policy option lockTimeout", lockTimeout)
                                                 : configuration.lockTimeoutDuration();
            name = nameExpression();
            locks = location.openNamedLocks(RobustMemoryConfiguration.positive("lock policy option lease", lease,
                    Durations.parse("lock policy option lease", lease)));
            meters = configuration.isMonitorLocks() ? component.namedLockMeters(location) : null;
            if (meters != null) {
                meters.observe(locks);
            }
            waiters = camelContext.getExecutorServiceManager().newCachedThreadPool(this, "RobustMemoryLockPolicy");
            super.doStart();
        }

        @Override
        protected void doStop() throws Exception {
            super.doStop();
            if (waiters != null) {
                camelContext.getExecutorServiceManager().shutdownNow(waiters); // waiting acquisitions fail
                waiters = null;
            }
            if (locks != null) {
                locks.close(); // grants still held keep the file open until they are released
                locks = null;
            }
        }

        private Expression nameExpression() {
            Expression expression = lockNameExpression;
            if (expression == null) {
                if (lockName == null || lockName.isBlank()) {
                    throw new IllegalArgumentException("The robustmemory lock policy needs a lockName (e.g."
                                                       + " ${header.orderId})");
                }
                expression = camelContext.resolveLanguage("simple").createExpression(lockName);
            }
            expression.init(camelContext);
            return expression;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            String lock;
            Duration timeout;
            LockHoldings holdings;
            try {
                lock = lockNameOf(exchange);
                timeout = timeoutOf(exchange.getMessage());
                holdings = LockHoldings.of(exchange);
                LockHoldings.Holding held = holdings.held(lock, exchange);
                if (held != null) {
                    held.reenter();
                    return enter(exchange, callback, held);
                }
            } catch (RuntimeException e) {
                exchange.setException(e);
                callback.done(true);
                return true;
            }
            if (timeout.isZero()) {
                LockHoldings.Holding granted = acquire(exchange, holdings, lock, timeout);
                if (granted == null) {
                    callback.done(true);
                    return true;
                }
                return enter(exchange, callback, granted);
            }
            try {
                waiters.execute(() -> {
                    LockHoldings.Holding granted = acquire(exchange, holdings, lock, timeout);
                    if (granted == null) {
                        callback.done(false);
                    } else {
                        enter(exchange, doneSync -> callback.done(false), granted);
                    }
                });
            } catch (RejectedExecutionException e) {
                exchange.setException(new IllegalStateException("The robustmemory lock policy of '" + lock + "' is"
                                                                + " stopping", e));
                callback.done(true);
                return true;
            }
            return false;
        }

        private String lockNameOf(Exchange exchange) {
            String evaluated = name.evaluate(exchange, String.class);
            if (evaluated == null || evaluated.isEmpty()) {
                throw new IllegalArgumentException("The robustmemory lock policy's lockName "
                                                   + (lockName != null ? "'" + lockName + "' " : "")
                                                   + "is empty for this exchange");
            }
            try {
                locks.checkName(evaluated); // refuses invalid names here, before anything is waited for
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("The robustmemory lock policy's lockName is invalid for this"
                                                   + " exchange: " + e.getMessage(), e);
            }
            return evaluated;
        }

        private Duration timeoutOf(Message message) {
            Object override = message.getHeader(LOCK_TIMEOUT);
            return override == null ? defaultTimeout : Durations.fromHeader("header " + LOCK_TIMEOUT, override);
        }

        /** The grant, recorded in the exchange's holdings; null when it failed, with the exchange's exception set. */
        private LockHoldings.Holding acquire(Exchange exchange, LockHoldings holdings, String lock, Duration timeout) {
            long start = System.nanoTime();
            try {
                NamedLockHold grant = locks.acquire(lock, timeout);
                exchange.getMessage().setHeader(NAMED_LOCK_WAIT_TIME, LockStatistics.millis(grant.waitNanos()));
                if (meters != null) {
                    meters.granted(grant.waitNanos());
                }
                return holdings.add(exchange, grant, meters);
            } catch (NamedLockTimeoutException e) {
                exchange.getMessage().setHeader(NAMED_LOCK_WAIT_TIME, LockStatistics.millis(System.nanoTime() - start));
                if (meters != null) {
                    meters.timedOut();
                }
                exchange.setException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the pool is shutting down: nothing is held
                exchange.setException(e);
            } catch (IOException | RuntimeException e) {
                exchange.setException(e);
            }
            return null;
        }

        /** Runs the wrapped steps with the grant's headers; the steps' callback leaves the block, then continues. */
        private boolean enter(Exchange exchange, AsyncCallback callback, LockHoldings.Holding holding) {
            Message message = exchange.getMessage();
            Object previousName = message.getHeader(LOCK_NAME);
            Object previousToken = message.getHeader(LOCK_TOKEN);
            message.setHeader(LOCK_NAME, holding.grant().name());
            message.setHeader(LOCK_TOKEN, holding.grant().token());
            return processor.process(exchange, doneSync -> {
                Message after = exchange.getMessage(); // a step may have replaced the message
                if (holding.leave()) {
                    after.setHeader(NAMED_LOCK_HOLD_TIME, LockStatistics.millis(holding.heldNanos()));
                }
                restore(after, LOCK_NAME, previousName);
                restore(after, LOCK_TOKEN, previousToken);
                callback.done(doneSync);
            });
        }

        private static void restore(Message message, String header, Object previous) {
            if (previous == null) {
                message.removeHeader(header);
            } else {
                message.setHeader(header, previous);
            }
        }

        @Override
        public String toString() {
            return "RobustMemoryLockPolicy[" + (lockName != null ? lockName : lockNameExpression) + "]";
        }
    }
}
