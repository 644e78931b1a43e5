package dev.robustmemory.camel;

import org.apache.camel.spi.Metadata;

/**
 * The message headers of the robustmemory component. "In" headers are read by the producer and override the
 * endpoint for that one message; "Out" headers are set on the message after the operation.
 */
public final class RobustMemoryConstants {

    @Metadata(label = "producer", javaType = "String",
              description = "In: the key to operate on; overrides the key in the URI path. Keys are 1 to 1024 characters.")
    public static final String KEY = "CamelRobustMemoryKey";

    @Metadata(label = "producer", javaType = "String", enums = "store,load,delete,exists,keys,clear,size,increment",
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

    @Metadata(label = "producer", javaType = "Long",
              description = "In: makes store a compare-and-set: write only if the key's current version equals this"
                            + " (0 = the key must not exist); otherwise the exchange fails with a"
                            + " VersionConflictException carrying the current version, and nothing is written.")
    public static final String EXPECTED_VERSION = "CamelRobustMemoryExpectedVersion";

    @Metadata(label = "producer", javaType = "Boolean",
              description = "Out: after load, whether the key exists (a stored null is found with a null body).")
    public static final String FOUND = "CamelRobustMemoryFound";

    @Metadata(label = "producer", javaType = "Long",
              description = "Out: after store, load and increment, the key's version; it grows by one on every write"
                            + " and is 0 when load finds no key.")
    public static final String VERSION = "CamelRobustMemoryVersion";

    @Metadata(label = "producer", javaType = "Long",
              description = "Out: after every write (store, delete, clear, increment), the fencing token of the lock"
                            + " grant it ran under; tokens only grow.")
    public static final String FENCING_TOKEN = "CamelRobustMemoryFencingToken";

    private RobustMemoryConstants() {
    }
}
