package dev.robustmemory.benchmark;

import java.util.List;
import java.util.stream.IntStream;

/**
 * What each load thread does with its client. Every thread writes only keys of its own (prefixed by its owner name),
 * so "storing distinct keys" holds across threads and processes; each cycles over {@link #KEYS_PER_THREAD} keys, so
 * stores mostly replace (the common case for a memory) and the table stays the same size between rounds.
 *
 * <p>Every store writes a value no store wrote before: a backend may do less for a write of the bytes already there
 * (SQLite can skip it), which would flatter it against one that does the write.
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
    /** With the owner and a count, about the size of a small JSON document. */
    private static final String VALUE_PADDING = "v".repeat(50);
    private static final String PRELOADED_VALUE = VALUE_PADDING + "preloaded";

    /** Gives the database the keys this mix's loads expect before the run; nothing for a mix that stores first. */
    void preload(BackendSession session) throws Exception {
        if (this == LOAD) {
            session.preload(PRELOADED_KEYS, PRELOADED_VALUE);
        }
    }

    /** The loop body of the thread called {@code owner} (unique among all threads of all processes of a run). */
    LoadDriver.ThreadOperation operation(KeyValueClient client, String owner) {
        Values values = new Values(owner);
        return switch (this) {
            case STORE -> sequence -> client.store(ownKey(owner, sequence), values.next());
            case LOAD -> sequence -> requireFound(client, PRELOADED_KEYS.get((int) (sequence % KEYS_PER_THREAD)));
            case MIXED -> sequence -> {
                String key = ownKey(owner, sequence / 2);
                if (sequence % 2 == 0) {
                    client.store(key, values.next());
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

    /**
     * One thread's stored values: its owner name (no other thread's value is the same) and a count of its stores
     * that goes on from round to round, unlike the loop's sequence, which starts at 0 every round and would write a
     * slow thread's keys with the values of the round before. One thread at a time uses it: the rounds' threads
     * run one after the other.
     */
    private static final class Values {
        private final String prefix;
        private long stores;

        Values(String owner) {
            this.prefix = VALUE_PADDING + owner + "-";
        }

        String next() {
            return prefix + stores++;
        }
    }
}
