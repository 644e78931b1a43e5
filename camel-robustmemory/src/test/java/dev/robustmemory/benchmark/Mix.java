package dev.robustmemory.benchmark;

import java.util.List;
import java.util.function.LongFunction;
import java.util.stream.IntStream;

/**
 * What each load thread does with its client. Except in {@link #MIXED_SHARED}, every thread writes only keys of its
 * own (prefixed by its owner name), so "storing distinct keys" holds across threads and processes; each cycles over
 * {@link #KEYS_PER_THREAD} keys, so stores mostly replace (the common case for a memory) and the table stays the same
 * size between rounds.
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
    MIXED,
    /**
     * As {@link #MIXED} on one set of keys (as many as a thread's own) that every thread of every process stores
     * and loads, so each process reads what the others wrote; preloaded, so that stores replace from the first
     * round on.
     */
    MIXED_SHARED,
    /** A read-mostly memory: each own key in turn stored, then loaded nine times (90/10 load/store). */
    READ_MOSTLY,
    /** Each operation stores {@link #BATCH_KEYS} own keys at once, through the client's batch store. */
    STORE_ALL;

    /** The keys of one {@link #STORE_ALL} operation. */
    static final int BATCH_KEYS = 1_000;
    static final int KEYS_PER_THREAD = 100;
    private static final List<String> PRELOADED_KEYS = keys("preloaded-");
    private static final List<String> SHARED_KEYS = keys("shared-");
    /** With the owner and a count, about the size of a small JSON document. */
    private static final String VALUE_PADDING = "v".repeat(50);
    private static final String PRELOADED_VALUE = VALUE_PADDING + "preloaded";

    /** Gives the database the keys this mix's loads expect before the run; nothing for a mix that stores first. */
    void preload(BackendSession session) throws Exception {
        switch (this) {
            case LOAD -> session.preload(PRELOADED_KEYS, PRELOADED_VALUE);
            case MIXED_SHARED -> session.preload(SHARED_KEYS, PRELOADED_VALUE);
            default -> {
                // the threads store each key before they load it
            }
        }
    }

    /** The loop body of the thread called {@code owner} (unique among all threads of all processes of a run). */
    LoadDriver.ThreadOperation operation(KeyValueClient client, String owner) {
        Values values = new Values(owner);
        return switch (this) {
            case STORE -> sequence -> client.store(ownKey(owner, sequence), values.next());
            case LOAD -> sequence -> requireFound(client, nth(PRELOADED_KEYS, sequence));
            case MIXED -> storeThenLoad(client, values, 2, cycle -> ownKey(owner, cycle));
            case MIXED_SHARED -> {
                // Each thread from its own place in the keys, so that the threads do not all write one key at once.
                int start = Math.floorMod(owner.hashCode(), KEYS_PER_THREAD);
                yield storeThenLoad(client, values, 2, cycle -> nth(SHARED_KEYS, start + cycle));
            }
            case READ_MOSTLY -> storeThenLoad(client, values, 10, cycle -> ownKey(owner, cycle));
            case STORE_ALL -> {
                List<String> batch = IntStream.range(0, BATCH_KEYS).mapToObj(i -> owner + "-" + i).toList();
                yield sequence -> client.storeAll(batch, values.next());
            }
        };
    }

    /**
     * Cycles of {@code length} operations: the first stores the cycle's key, the others load it; a missing key fails
     * the run.
     */
    private static LoadDriver.ThreadOperation storeThenLoad(KeyValueClient client, Values values, int length,
                                                            LongFunction<String> keyOfCycle) {
        return sequence -> {
            String key = keyOfCycle.apply(sequence / length);
            if (sequence % length == 0) {
                client.store(key, values.next());
            } else {
                requireFound(client, key);
            }
        };
    }

    private static List<String> keys(String prefix) {
        return IntStream.range(0, KEYS_PER_THREAD).mapToObj(i -> prefix + i).toList();
    }

    /** The keys cycled through: the {@code index}th modulo their number. */
    private static String nth(List<String> keys, long index) {
        return keys.get((int) (index % keys.size()));
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
