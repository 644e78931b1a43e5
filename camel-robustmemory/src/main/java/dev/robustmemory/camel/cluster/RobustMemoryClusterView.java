package dev.robustmemory.camel.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

import dev.robustmemory.duckdb.lock.NamedLocks;
import dev.robustmemory.memory.NamedLockHold;
import dev.robustmemory.memory.NamedLockService;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.support.cluster.AbstractCamelClusterView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One namespace of a {@link RobustMemoryClusterService}: the local member leads it while this process holds the
 * named lock {@code cluster:<namespace>} of the memory (on DuckDB in its names lock file, on PostgreSQL in its locks
 * table).
 *
 * <p>A thread of its own (named after the namespace) waits for the name without a deadline; on DuckDB,
 * {@link NamedLocks} polls a held slot every 0.5 ms at most, so when the leader dies (the kernel drops its record lock
 * at once, {@code kill -9} included) or steps down, a waiting process leads within milliseconds; on PostgreSQL a
 * leader that dies is followed once its lease has ended. Once granted, the
 * view fires a leadership event naming the local member; Camel's listeners (such as {@code ClusteredRoutePolicy},
 * which starts and stops its routes inside the event) run on this thread. On stop the view first fires the event that
 * nobody is leader and only then releases the name, so the routes a listener stopped are stopped before another
 * process can lead.
 *
 * <p>While leading, the thread checks every {@link #GRANT_CHECK_INTERVAL} that the grant is still held
 * ({@link NamedLockHold#isHeld()}: on DuckDB it is not once the names file at the path was replaced or deleted; on
 * PostgreSQL once the lease could not be renewed in time) and gives leadership up at once when it is not, then waits
 * for the name again, on named locks opened again (the file now at the path). After an I/O error with the names file
 * or the database it tries again after {@link #RETRY_DELAY}.
 *
 * <p><b>A listener's locks.</b> Camel fires a view's events under the view's listener lock, and
 * {@code ClusteredRoutePolicy} takes its own lock inside them; a policy removed while leadership changes may wait for
 * this thread. A listener should not block this thread for long: the name is released only after it returns.
 *
 * <p><b>What a view knows.</b> Only about this process: {@link #getMembers()} is the local member alone, because a
 * record lock says nothing about who waits for it, and {@link #getLeader()} is the local member while it leads and
 * empty otherwise, also while another process leads (the names file records the newest grant's pid, but not whether
 * that grant is still held).
 */
public class RobustMemoryClusterView extends AbstractCamelClusterView {

    /** The named lock of a namespace is this prefix plus the namespace. */
    public static final String LOCK_NAME_PREFIX = "cluster:";
    /** How often a leader checks that its grant is still held: a lost grant ends leadership within this. */
    public static final Duration GRANT_CHECK_INTERVAL = Duration.ofMillis(250);
    /** The pause after an I/O error with the names file before the view waits for the name again. */
    public static final Duration RETRY_DELAY = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(RobustMemoryClusterView.class);
    /** "Forever", but far enough from overflow for any deadline arithmetic. */
    private static final Duration WITHOUT_DEADLINE = Duration.ofDays(365L * 100);
    private static final long STOP_WAIT_MILLIS = TimeUnit.SECONDS.toMillis(30);

    private final RobustMemoryClusterService service;
    private final String lockName;
    private final LocalMember localMember = new LocalMember();
    /** Guards {@link #stopRequested}, {@link #waitingForTheName} and {@link #elector}; stop notifies it. */
    private final Object state = new Object();
    private boolean stopRequested;
    private boolean waitingForTheName;
    private Thread elector;
    /** Set while the local member leads; set and cleared only by the elector thread. */
    private volatile NamedLockHold leadership;
    private NamedLockService locks;

    RobustMemoryClusterView(RobustMemoryClusterService service, String namespace) {
        super(service, namespace);
        this.service = service;
        this.lockName = LOCK_NAME_PREFIX + namespace;
        NamedLocks.slotOf(lockName); // an unusable namespace fails here, when a route asks for the view
    }

    @Override
    public Optional<CamelClusterMember> getLeader() {
        return localMember.isLeader() ? Optional.of(localMember) : Optional.empty();
    }

    @Override
    public CamelClusterMember getLocalMember() {
        return localMember;
    }

    @Override
    public List<CamelClusterMember> getMembers() {
        return List.of(localMember);
    }

    /**
     * The fencing token of the local member's leadership while it leads: greater than the token of every earlier
     * leadership of this namespace, by any process, across crashes. A leader that writes elsewhere can send it along,
     * so that a store which remembers the greatest token seen refuses a superseded leader's writes.
     */
    public OptionalLong getFencingToken() {
        NamedLockHold grant = leadership;
        return grant != null && grant.isHeld() ? OptionalLong.of(grant.token()) : OptionalLong.empty();
    }

    /** The named lock this view leads by: {@code cluster:<namespace>}. */
    public String getLockName() {
        return lockName;
    }

    @Override
    protected void doStart() throws Exception {
        locks = service.openNamedLocks();
        Thread thread = new Thread(this::elect, getCamelContext().getExecutorServiceManager()
                .resolveThreadName("RobustMemoryClusterView " + getNamespace()));
        thread.setDaemon(true);
        synchronized (state) {
            stopRequested = false;
            elector = thread;
        }
        thread.start();
    }

    @Override
    protected void doStop() throws Exception {
        Thread thread;
        synchronized (state) {
            stopRequested = true;
            thread = elector;
            if (waitingForTheName) {
                // Only a thread waiting for the name is interrupted: a leader is told through the monitor, so that
                // an interrupt cannot disturb the listeners stopping their routes as it steps down.
                thread.interrupt();
            }
            state.notifyAll();
        }
        if (thread != null) {
            thread.join(STOP_WAIT_MILLIS);
            if (thread.isAlive()) {
                LOG.warn("The cluster view {} did not stop within {} ms: a leadership listener is still running",
                        getNamespace(), STOP_WAIT_MILLIS);
            }
        }
        if (locks != null) {
            locks.close();
            locks = null;
        }
    }

    private void elect() {
        try {
            NamedLockHold grant;
            while ((grant = awaitTheName()) != null) {
                lead(grant);
            }
        } catch (InterruptedException e) {
            // Only doStop interrupts this thread, and lead() has stepped down already.
        }
    }

    /** Waits for the name until granted (then the local member leads) or stop; null on stop. */
    private NamedLockHold awaitTheName() throws InterruptedException {
        while (true) {
            synchronized (state) {
                if (stopRequested) {
                    return null;
                }
                waitingForTheName = true;
            }
            NamedLockHold grant = null;
            try {
                grant = locks.acquire(lockName, WITHOUT_DEADLINE);
            } catch (InterruptedException e) {
                // doStop interrupted the wait: the loop sees the request
            } catch (IOException e) {
                LOG.warn("The cluster view {} cannot wait for the name {} (trying again in {}): {}", getNamespace(),
                        lockName, RETRY_DELAY, e.getMessage(), e);
                synchronized (state) {
                    waitingForTheName = false;
                    if (!stopRequested) {
                        state.wait(RETRY_DELAY.toMillis());
                    }
                }
                continue;
            }
            synchronized (state) {
                waitingForTheName = false;
                Thread.interrupted(); // an interrupt that came after the grant: the request below says it all
                if (grant != null && !stopRequested && grant.isHeld()) {
                    leadership = grant;
                    return grant;
                }
            }
            if (grant != null) {
                grant.close();
                if (!stopRequestedNow()) {
                    reopenNamedLocks();
                }
            }
        }
    }

    /**
     * A grant that is not held at once was made, on DuckDB, on a names file that is no longer the one at the path (the
     * other processes lock the file there now, and so must this view), or on PostgreSQL its lease ran out already.
     */
    private void reopenNamedLocks() throws InterruptedException {
        LOG.warn("The cluster view {} got a grant that was not held (names file {} replaced or deleted, or the lease ran"
                 + " out): it opens the named locks again", getNamespace(), service.getNamesFile());
        NamedLockService stale = locks;
        try {
            locks = service.openNamedLocks();
            stale.close();
        } catch (Exception e) {
            LOG.warn("The cluster view {} cannot open the named locks again (trying again in {}): {}",
                    getNamespace(), RETRY_DELAY, e.getMessage(), e);
            synchronized (state) {
                if (!stopRequested) {
                    state.wait(RETRY_DELAY.toMillis());
                }
            }
        }
    }

    private boolean stopRequestedNow() {
        synchronized (state) {
            return stopRequested;
        }
    }

    private void lead(NamedLockHold grant) throws InterruptedException {
        LOG.info("The cluster view {} leads now (member {}, pid {}, fencing token {})", getNamespace(),
                localMember.getId(), ProcessHandle.current().pid(), grant.token());
        try {
            fireLeadershipChanged(localMember);
            synchronized (state) {
                while (!stopRequested && grant.isHeld()) {
                    state.wait(GRANT_CHECK_INTERVAL.toMillis());
                }
                if (!stopRequested) {
                    LOG.warn("The cluster view {} lost its named lock {} (the names file was replaced or deleted,"
                             + " or the lease ran out): giving up leadership", getNamespace(), lockName);
                }
            }
        } finally {
            leadership = null;
            fireLeadershipChanged(null);
            grant.close(); // after the listeners stopped their routes: only now may another process lead
            LOG.info("The cluster view {} no longer leads", getNamespace());
        }
    }

    private void fireLeadershipChanged(CamelClusterMember leader) {
        try {
            fireLeadershipChangedEvent(leader);
        } catch (RuntimeException e) {
            // A failing listener must not end this thread, which alone can give the name back.
            LOG.warn("A leadership listener of the cluster view {} failed: {}", getNamespace(), e.getMessage(), e);
        }
    }

    private final class LocalMember implements CamelClusterMember {
        @Override
        public boolean isLeader() {
            NamedLockHold grant = leadership;
            return grant != null && grant.isHeld();
        }

        @Override
        public boolean isLocal() {
            return true;
        }

        @Override
        public String getId() {
            return getClusterService().getId();
        }

        @Override
        public String toString() {
            return "RobustMemoryClusterMember[" + getId() + ", " + lockName + "]";
        }
    }
}
