package dev.robustmemory.camel;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.memory.MemoryWork;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.VersionConflictException;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.api.management.ManagedOperation;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.spi.Metadata;
import org.apache.camel.util.json.Jsoner;

/**
 * An {@link IdempotentRepository} kept in a robustmemory database, so that an idempotent consumer deduplicates
 * across every process on the host that shares the database: {@code idempotentConsumer(header("orderId"), repo)}.
 *
 * <p><b>Atomic across processes.</b> Each call is one {@link DuckDbMemory#execute}, so it runs under the database's
 * cross-process lock in one transaction. {@link #add} is a compare-and-set "store only if absent": when N processes
 * add the same id at once, exactly one gets {@code true}. An id that was added is durable once {@code add} returns
 * (it survives {@code kill -9} of the process and a restart).
 *
 * <p><b>Eager and confirm.</b> Like Camel's in-memory and JDBC repositories, the id is written by {@link #add} and
 * {@link #confirm} writes nothing and returns {@code true}. With the idempotent consumer's default {@code eager=true}
 * the id is added before the message is processed, so a duplicate arriving meanwhile in another process is already
 * refused; when processing fails, the consumer calls {@link #remove} ({@code removeOnFailure=true}, the default) so
 * that a retry can process it. A process killed between {@code add} and the end of processing leaves its id added:
 * the message counts as processed and is not retried (at most once). With {@code eager=false} the consumer only
 * checks {@link #contains} before processing and adds the id when the exchange completes: a process killed
 * mid-message leaves no id, so a redelivery is processed again (at least once), and two processes may process the
 * same id concurrently.
 *
 * <p><b>Sharing a database.</b> Ids are stored as keys {@code idempotent/<name>/<id>}; repositories with different
 * {@link #setName names} share one database without seeing each other's ids, and {@link #clear} removes only its
 * own. The value of each key is a small JSON object saying when and by which process the id was added, e.g.
 * {@code {"addedAt":"2026-11-26T16:05:00.001Z","pid":4711}}. With a {@link #setTtl ttl}, an id is remembered that
 * long after it was added, then forgotten everywhere at once and reclaimed: the database stops growing with ids. The prefix plus the id may be at most 1024 characters;
 * a longer id fails the call with an {@link IllegalArgumentException}.
 *
 * <p>Configure it with the bean properties ({@code database}, {@code lockFile}, {@code lockTimeout}, {@code name},
 * {@code filePermissions}, {@code allowNetworkFileSystem}) before it starts; they mean what the robustmemory
 * endpoint options of the same names mean. The memory is opened when the repository starts (the idempotent consumer
 * starts it with its route; its paths are checked, no lock is taken and no database opened, so a memory busy in
 * other processes never holds the start up) and is let go when it stops. A call that cannot get the lock within
 * {@code lockTimeout} throws {@link RuntimeCamelException} caused by {@link dev.robustmemory.duckdb.lock.LockTimeoutException}, which fails the
 * exchange.
 *
 * <p>With camel-management, a repository used by a route is an MBean of Camel's services ({@code type=services,
 * name=RobustMemoryIdempotentRepository(...)}), whose operations add, contains, remove and clear act on this
 * repository's ids as the methods do.
 */
@ManagedResource(description = "Robust memory idempotent repository")
@Metadata(label = "bean", title = "Robust Memory Idempotent Repository",
          description = "Idempotent repository in a robustmemory memory, shared atomically by every process that uses"
                        + " the same memory: on the host (a DuckDB file) or on every host (PostgreSQL tables).")
public class RobustMemoryIdempotentRepository extends RepositoryBeanSupport implements IdempotentRepository {

    /** The namespace of the repositories' keys in the memory. */
    public static final String KEY_NAMESPACE = "idempotent/";

    @Metadata(description = "The repository's name: its ids are the keys idempotent/<name>/<id>. Repositories that"
                            + " must see the same ids use the same name and database.", defaultValue = "default")
    private String name = "default";

    @Metadata(description = "How long an added id is remembered, e.g. 7d, 12h or PT24H; must be positive. After it,"
                            + " the id is forgotten in every process at once (a duplicate arriving later is processed"
                            + " again) and its row is reclaimed. Unset: ids are kept until removed.",
              javaType = "java.time.Duration")
    private String ttl;
    private Duration retention;

    private final RepositoryMemory memory = new RepositoryMemory("idempotent repository");

    public RobustMemoryIdempotentRepository() {
    }

    /** A repository named {@code name} in the database file {@code database}. */
    public RobustMemoryIdempotentRepository(String database, String name) {
        setDatabase(database);
        setName(name);
    }

    @Override
    @ManagedOperation(description = "Adds the id, unless it is there already; true when added")
    public boolean add(String id) {
        String key = key(id);
        StoredValue addedBy = addedBy();
        return execute("add id '" + id + "'", session -> {
            try {
                // Version 0 = "only if absent": under the lock, so of all processes adding this id one wins.
                session.store(key, addedBy, OptionalLong.of(0), retention);
                return true;
            } catch (VersionConflictException alreadyAdded) {
                return false;
            }
        });
    }

    @Override
    @ManagedOperation(description = "Whether the id is there")
    public boolean contains(String id) {
        String key = key(id);
        return execute("look up id '" + id + "'", MemoryWork.reading(session -> session.exists(key)));
    }

    @Override
    @ManagedOperation(description = "Removes the id; true when it was there")
    public boolean remove(String id) {
        String key = key(id);
        return execute("remove id '" + id + "'", session -> session.delete(key));
    }

    /** The id was written by {@link #add}; nothing is left to confirm. */
    @Override
    public boolean confirm(String id) {
        return true;
    }

    /** Removes every id of this repository, and nothing else in the database. */
    @Override
    @ManagedOperation(description = "Removes every id of this repository")
    public void clear() {
        execute("clear", session -> session.clear(keyPrefix()));
    }

    @ManagedAttribute(description = "The repository's name: its ids are the keys idempotent/<name>/<id>")
    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    @ManagedAttribute(description = "How long an added id is remembered; empty: until removed")
    public String getTtl() {
        return ttl;
    }

    public void setTtl(String ttl) {
        this.ttl = ttl;
    }

    /** The prefix of this repository's keys, {@code idempotent/<name>/}. */
    public String keyPrefix() {
        return KEY_NAMESPACE + name + "/";
    }

    @Override
    protected void doStart() throws Exception {
        RobustMemoryConfiguration options = memoryOptions();
        options.setTtl(ttl);
        retention = options.ttlDuration();
        memory.open("name", name, options, getCamelContext());
    }

    @Override
    protected void doStop() {
        memory.close();
    }

    private String key(String id) {
        if (id == null) {
            throw new IllegalArgumentException("The message id must not be null");
        }
        return keyPrefix() + id;
    }

    private static StoredValue addedBy() {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("addedAt", Instant.now().toString());
        facts.put("pid", ProcessHandle.current().pid());
        return StoredValue.json(Jsoner.serialize(facts));
    }

    private <T> T execute(String action, MemoryWork<T> work) {
        return memory.execute(action, work);
    }
}
