package dev.robustmemory.benchmark;

import java.util.List;
import java.util.stream.IntStream;

/**
 * What each load thread does with its client. Every thread writes only keys of its own (prefixed by its owner name),
 * so "storing distinct keys" holds across threads and processes; each cycles over {@link #KEYS_PER_THREAD} keys, so
 * stores mostly replace (the common case for a memory) and the table stays the same size between rounds.
 */
enum Mix {
    /** Store only. */
    STORE,
    /** Load only, of keys stored before the run; a missing key fails the run. */
    LOAD,
    /** Store and load alternately (50/50), each load reading the key just stored; a missing key fails the run. */
    MIXED;

    static final int KEYS_PER_THREAD = 100;
    private static final List<String> PRELOADED_KEYS =
            IntStream.range(0, KEYS_PER_THREAD).mapToObj(i -> "preloaded-" + i).toList();
    /** About the size of a small JSON document. */
    private static final String VALUE_PADDING = "v".repeat(56);

    /** Whether the database must hold {@link #preloadedKeys()} before the run. */
    boolean needsPreload() {
        return this == LOAD;
    }

    static List<String> preloadedKeys() {
        return PRELOADED_KEYS;
    }

    static String value(long sequence) {
        return VALUE_PADDING + sequence;
    }

    /** The loop body of the thread called {@code owner} (unique among all threads of all processes of a run). */
    LoadDriver.ThreadOperation operation(KeyValueClient client, String owner) {
        return switch (this) {
            case STORE -> sequence -> client.store(ownKey(owner, sequence), value(sequence));
            case LOAD -> sequence -> requireFound(client, PRELOADED_KEYS.get((int) (sequence % KEYS_PER_THREAD)));
            case MIXED -> sequence -> {
                String key = ownKey(owner, sequence / 2);
                if (sequence % 2 == 0) {
                    client.store(key, value(sequence));
                } else {
                    requireFound(client, key);
                }
            };
        };
    }

    private static String ownKey(String owner, long sequence) {
        return owner + "-" + sequence % KEYS_PER_THREAD;
    }

    private static void requireFound(KeyValueClient client, String key) throws Exception {
        if (!client.load(key)) {
            throw new IllegalStateException("Key " + key + " was stored but load did not find it");
        }
    }
}
