package dev.robustmemory.camel;

import org.apache.camel.spi.Metadata;

/**
 * The message headers of the robustmemory component. "In" headers are read by the producer and override the
 * endpoint for that one message; "Out" headers are set on the message after the operation.
 */
public final class RobustMemoryConstants {

    @Metadata(label = "producer,consumer", javaType = "String",
              description = "In: the key to operate on; overrides the key in the URI path. Keys are 1 to 1024"
                            + " characters. Changes consumer: the key that changed.")
    public static final String KEY = "CamelRobustMemoryKey";

    @Metadata(label = "producer", javaType = "String",
              enums = "store,load,delete,exists,keys,clear,size,increment,cleanup,loadAll,storeAll,deleteAll,getAndSet,"
                      + "putIfAbsent",
              description = "In: the operation to perform; overrides the operation option. An unknown name fails the exchange.")
    public static final String OPERATION = "CamelRobustMemoryOperation";

    @Metadata(label = "producer", javaType = "java.time.Duration",
              description = "In: how long to wait for the lock for this message only: a Duration, a whole number of"
                            + " milliseconds, or text such as 10s, 500ms or PT10S. 0 tries once without waiting.")
    public static final String LOCK_TIMEOUT = "CamelRobustMemoryLockTimeout";

    @Metadata(label = "producer", javaType = "String",
              description = "In: for keys and clear, only keys starting with this text (matched literally, % _ and"
                            + " \\ included).")
    public static final String KEY_PREFIX = "CamelRobustMemoryKeyPrefix";

    @Metadata(label = "producer", javaType = "java.time.Duration",
              description = "In: how long the values this message writes live (store, storeAll, getAndSet,"
                            + " putIfAbsent; an increment gives it to a key it creates): a Duration, a whole number of"
                            + " milliseconds, or text such as 30s, 10m or PT1H; must be positive. Overrides the ttl"
                            + " option.")
    public static final String TTL = "CamelRobustMemoryTtl";

    @Metadata(label = "producer,consumer", javaType = "java.time.Instant",
              description = "Out (load, store, increment, getAndSet, putIfAbsent): when the key's value expires;"
                            + " removed when it never does. Changes consumer: when the value written expires.")
    public static final String EXPIRES_AT = "CamelRobustMemoryExpiresAt";

    @Metadata(label = "producer", javaType = "Long",
              description = "In: makes store, getAndSet and delete a compare-and-set: write (or delete) only if the"
                            + " key's current version equals this (0 = the key must not exist); otherwise the exchange"
                            + " fails with a VersionConflictException carrying the current version, and nothing is"
                            + " written.")
    public static final String EXPECTED_VERSION = "CamelRobustMemoryExpectedVersion";

    @Metadata(label = "producer", javaType = "java.util.Map<String, Long>",
              description = "In: makes storeAll a compare-and-set of the keys given here (each also a key of the body;"
                            + " 0 = must not exist): if any version differs, the exchange fails with a"
                            + " VersionConflictException and no key is written.")
    public static final String EXPECTED_VERSIONS = "CamelRobustMemoryExpectedVersions";

    @Metadata(label = "producer", javaType = "java.util.Map<String, Long>",
              description = "Out: after loadAll and storeAll, the version of each key found or written, in the order"
                            + " of the body.")
    public static final String VERSIONS = "CamelRobustMemoryVersions";

    @Metadata(label = "producer", javaType = "Boolean",
              description = "Out: after load, whether the key exists (a stored null is found with a null body);"
                            + " after getAndSet and putIfAbsent, whether it existed before.")
    public static final String FOUND = "CamelRobustMemoryFound";

    @Metadata(label = "producer,consumer", javaType = "Long",
              description = "Out: after store, load, increment, getAndSet and putIfAbsent (changes consumer: after"
                            + " a change that stored a value), the key's version: the memory's revision at its last"
                            + " change. Every change of any key takes a revision greater than all before, so a"
                            + " key never shows the same version twice, not even after a delete; 0 when load finds"
                            + " no key.")
    public static final String VERSION = "CamelRobustMemoryVersion";

    @Metadata(javaType = "Long",
              description = "Producer out: after every write (store, delete, clear, increment and the batch"
                            + " operations), the fencing token of the lock grant it ran under; tokens only grow. Consumer: the token in the holder's"
                            + " owner record (lock events), or of the grant that wrote the value (changes).")
    public static final String FENCING_TOKEN = "CamelRobustMemoryFencingToken";

    @Metadata(label = "producer", javaType = "String",
              description = "In: the named lock whose grant fences this message's writes (store, delete, clear,"
                            + " increment), together with CamelRobustMemoryLockToken: a write whose token is no longer"
                            + " the newest grant of that name fails with a FencedWriteException and writes nothing."
                            + " Reads are not fenced. Out: set by the lock policy (RobustMemoryLockPolicy) inside its"
                            + " block, to the name it holds.")
    public static final String LOCK_NAME = "CamelRobustMemoryLockName";

    @Metadata(label = "producer", javaType = "Long",
              description = "In: the fencing token of the grant of CamelRobustMemoryLockName that this message's"
                            + " writes carry; a message with only one of the two headers fails. Out: set by the lock"
                            + " policy inside its block, to its grant's token.")
    public static final String LOCK_TOKEN = "CamelRobustMemoryLockToken";

    @Metadata(label = "producer", javaType = "Double",
              description = "Out (lock policy): how long the policy waited for its named lock, in milliseconds;"
                            + " after a timeout, how long it waited before giving up.")
    public static final String NAMED_LOCK_WAIT_TIME = "CamelRobustMemoryNamedLockWaitTime";

    @Metadata(label = "producer", javaType = "Double",
              description = "Out (lock policy): after the outermost block of a name ended, how long the exchange held"
                            + " the named lock, in milliseconds.")
    public static final String NAMED_LOCK_HOLD_TIME = "CamelRobustMemoryNamedLockHoldTime";

    // Metrics, after every producer operation when monitorLocks=true. Totals are per memory (database) and component,
    // since the component started; see LockStatistics for what counts as what.

    @Metadata(label = "producer", javaType = "Double",
              description = "Out (monitorLocks): how long this operation waited for the lock, in milliseconds (a"
                            + " fraction, so sub-millisecond waits show); after a timeout, how long it waited before"
                            + " giving up.")
    public static final String LOCK_WAIT_TIME = "CamelRobustMemoryLockWaitTime";

    @Metadata(label = "producer", javaType = "Double",
              description = "Out (monitorLocks): how long this operation held the lock, in milliseconds; absent when"
                            + " it did not complete.")
    public static final String LOCK_HOLD_TIME = "CamelRobustMemoryLockHoldTime";

    @Metadata(label = "producer", javaType = "Long",
              description = "Out (monitorLocks): lock requests of this memory granted so far, including operations"
                            + " that ended in a domain outcome such as a version conflict (the lock was held).")
    public static final String LOCK_ACQUISITIONS = "CamelRobustMemoryLockAcquisitions";

    @Metadata(label = "producer", javaType = "Long",
              description = "Out (monitorLocks): lock requests of this memory that failed for another reason than a"
                            + " timeout (I/O or permission error, lost lock, database that cannot be opened).")
    public static final String LOCK_FAILURES = "CamelRobustMemoryLockFailures";

    @Metadata(label = "producer", javaType = "Long",
              description = "Out (monitorLocks): lock requests of this memory that timed out (LockTimeoutException).")
    public static final String LOCK_TIMEOUTS = "CamelRobustMemoryLockTimeouts";

    @Metadata(label = "producer", javaType = "Long",
              description = "Out (monitorLocks): owner records of holders that died holding the lock, recovered so"
                            + " far (by an acquisition taking over, by the consumer or the cleanup operation).")
    public static final String ORPHANED_LOCKS_CLEANED = "CamelRobustMemoryOrphanedLocksCleaned";

    @Metadata(label = "producer", javaType = "Double",
              description = "Out (monitorLocks): average lock wait in milliseconds over the completed operations"
                            + " since the component started.")
    public static final String AVG_WAIT_TIME = "CamelRobustMemoryAvgWaitTime";

    @Metadata(label = "producer", javaType = "Double",
              description = "Out (monitorLocks): longest lock wait in milliseconds of a completed operation since the"
                            + " component started.")
    public static final String MAX_WAIT_TIME = "CamelRobustMemoryMaxWaitTime";

    @Metadata(label = "producer", javaType = "Double",
              description = "Out (monitorLocks): the share of lock requests granted, acquisitions divided by the sum of"
                            + " acquisitions, failures and timeouts, from 0 to 1; absent before the first lock request.")
    public static final String SUCCESS_RATE = "CamelRobustMemorySuccessRate";

    // Consumer events: one exchange per event; the body is a Map with the same facts.

    @Metadata(label = "consumer", javaType = "String", enums = "ORPHANED,STALE,CORRUPT,FOREIGN_HOST",
              description = "What the inspection found: ORPHANED (the holder died holding the lock), STALE (a live"
                            + " holder past staleLockThreshold), CORRUPT (an unreadable owner record), FOREIGN_HOST"
                            + " (a holder on another host).")
    public static final String EVENT_TYPE = "CamelRobustMemoryEventType";

    @Metadata(label = "consumer", javaType = "String", enums = "STORED,DELETED",
              description = "Changes consumer: STORED (the change wrote the value in the body) or DELETED (by delete,"
                            + " deleteAll or clear).")
    public static final String CHANGE_TYPE = "CamelRobustMemoryChangeType";

    @Metadata(label = "consumer", javaType = "Long",
              description = "Changes consumer: the change's revision. Revisions order all changes of the memory; the"
                            + " keys of one storeAll, deleteAll or clear share one, and come in key order.")
    public static final String REVISION = "CamelRobustMemoryRevision";

    @Metadata(label = "consumer", javaType = "String", description = "The lock file the event is about.")
    public static final String LOCK_FILE = "CamelRobustMemoryLockFile";

    @Metadata(label = "consumer", javaType = "Long",
              description = "The process id of the holder named by the owner record (absent for CORRUPT).")
    public static final String HOLDER_PID = "CamelRobustMemoryHolderPid";

    @Metadata(label = "consumer", javaType = "String", description = "The host name of the holder.")
    public static final String HOLDER_HOST = "CamelRobustMemoryHolderHost";

    @Metadata(label = "consumer", javaType = "java.time.Instant",
              description = "When the holder's process started (with its pid, the process's identity on its host).")
    public static final String HOLDER_PROCESS_START = "CamelRobustMemoryHolderProcessStart";

    @Metadata(label = "consumer", javaType = "java.time.Instant",
              description = "When the holder acquired the lock (its wall clock).")
    public static final String HOLDER_ACQUIRED_AT = "CamelRobustMemoryHolderAcquiredAt";

    @Metadata(label = "consumer", javaType = "Long",
              description = "How long the holder had held the lock when the event was detected, in milliseconds"
                            + " (wall clock; for a dead holder, since it acquired the lock).")
    public static final String HELD_FOR = "CamelRobustMemoryHeldFor";

    @Metadata(label = "consumer", javaType = "Boolean",
              description = "Whether the lock file was brought back to a clean state (a dead holder's record marked"
                            + " recovered, a corrupt record rewritten). Always false for STALE and FOREIGN_HOST, and"
                            + " when cleanupOrphaned=false.")
    public static final String CLEANED = "CamelRobustMemoryCleaned";

    private RobustMemoryConstants() {
    }
}
