package dev.robustmemory.model;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.memory.StoredValue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Random operations, works and scenarios, and the smaller scenarios a failing one shrinks through. A few keys,
 * prefixes and values that overlap a lot (so that operations meet on the same keys), the characters a LIKE pattern
 * would misread ('%', '_'), text outside the BMP, and a small share of invalid input. Each choice is weighted: the
 * first numbers in a {@link #weighted} call are the common cases, the last the rare ones.
 */
final class Workloads {

    private static final String LONGEST_KEY = "k".repeat(DuckDbMemory.MAX_KEY_LENGTH);
    private static final String UNPAIRED_SURROGATE = "\uD800";
    private static final String SIXTEEN_BYTES = "\u00E9".repeat((int) LiveMemory.MAX_VALUE_SIZE / 2);

    private static final List<String> KEYS = List.of("a", "b", "ab", "a%", "a_", "%", "_", "\u00E9", "\uD83D\uDE00");
    /** Keys the memory refuses (null among them, one in five), and the longest it takes. */
    private static final List<String> ODD_KEYS = Arrays.asList(null, "", LONGEST_KEY + "k", UNPAIRED_SURROGATE,
            LONGEST_KEY);
    private static final List<String> PREFIXES = List.of("", "a", "a%", "a_", "%", "_", "b", "\uD83D\uDE00",
            "\uD83D", "z");
    /** Valid, but not what an increment or a size limit takes at face value. */
    private static final List<StoredValue> ODD_VALUES = List.of(StoredValue.text("x"), StoredValue.json(" -7 "),
            StoredValue.json("1.0"), StoredValue.json("\"1\""), StoredValue.json("null"), StoredValue.text("1"),
            StoredValue.bytes(new byte[]{1, 0}), StoredValue.json(Long.toString(Long.MAX_VALUE)),
            StoredValue.json("99999999999999999999"), StoredValue.text(SIXTEEN_BYTES));
    private static final List<StoredValue> INVALID_VALUES = List.of(StoredValue.text(SIXTEEN_BYTES + "x"),
            StoredValue.bytes(new byte[(int) LiveMemory.MAX_VALUE_SIZE + 1]), StoredValue.text(UNPAIRED_SURROGATE));

    private Workloads() {
    }

    private static String key(SplittableRandom random) {
        return weighted(random, 30, 1) == 0 ? oneOf(random, KEYS) : oneOf(random, ODD_KEYS);
    }

    private static String prefix(SplittableRandom random) {
        return weighted(random, 19, 1) == 0 ? oneOf(random, PREFIXES) : null;
    }

    private static StoredValue value(SplittableRandom random) {
        return switch (weighted(random, 10, 6, 1)) {
            case 0 -> StoredValue.json(Integer.toString(random.nextInt(100)));
            case 1 -> oneOf(random, ODD_VALUES);
            default -> oneOf(random, INVALID_VALUES);
        };
    }

    /** Relative to the scenario's base revision: small numbers meet real versions often enough. */
    private static OptionalLong expectedVersion(SplittableRandom random) {
        return switch (weighted(random, 6, 3, 1)) {
            case 0 -> OptionalLong.empty();
            case 1 -> OptionalLong.of(random.nextLong(13));
            default -> OptionalLong.of(-1);
        };
    }

    private static long delta(SplittableRandom random) {
        if (weighted(random, 10, 1) == 0) {
            return random.nextLong(-3, 6);
        }
        return random.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE;
    }

    private static List<String> someKeys(SplittableRandom random) {
        List<String> keys = new ArrayList<>();
        for (int i = random.nextInt(1, 5); i > 0; i--) {
            keys.add(key(random));
        }
        return keys;
    }

    /** A null key is allowed in the map: the memory must refuse it like any invalid key. */
    private static Op storeAll(SplittableRandom random) {
        Map<String, StoredValue> values = new LinkedHashMap<>();
        Map<String, Long> expected = new LinkedHashMap<>();
        for (String key : someKeys(random)) {
            values.put(key, value(random));
            expectedVersion(random).ifPresent(version -> expected.put(key, version));
        }
        return new Op.StoreAll(values, expected);
    }

    /** A few seconds, so that the clock's steps of one second meet expiry times; now and then one not positive. */
    private static Duration timeToLive(SplittableRandom random) {
        return weighted(random, 12, 1) == 0 ? Duration.ofMillis(random.nextLong(1, 3_500))
               : Duration.ofMillis(-random.nextLong(2));
    }

    private static Op op(SplittableRandom random) {
        return switch (weighted(random, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 2, 1)) {
            case 0 -> new Op.Store(key(random), value(random), expectedVersion(random));
            case 1 -> new Op.Load(key(random));
            case 2 -> new Op.Increment(key(random), delta(random));
            case 3 -> new Op.Delete(key(random));
            case 4 -> new Op.Exists(key(random));
            case 5 -> new Op.Update(key(random), value(random));
            case 6 -> new Op.Keys(prefix(random));
            case 7 -> new Op.Clear(prefix(random));
            case 8 -> new Op.Size();
            case 9 -> new Op.LoadAll(someKeys(random));
            case 10 -> storeAll(random);
            case 11 -> new Op.DeleteAll(someKeys(random));
            case 12 -> new Op.StoreFor(key(random), value(random), timeToLive(random));
            default -> new Op.IncrementFor(key(random), delta(random), timeToLive(random));
        };
    }

    /** Mostly one operation, sometimes several in one transaction; one in ten throws after its operations. */
    private static Work work(SplittableRandom random) {
        return new Work(listOf(random, 1, 4, Workloads::op), weighted(random, 9, 1) == 1);
    }

    static List<Step> sequentialScenario(SplittableRandom random) {
        return listOf(random, 0, 24, r -> switch (weighted(r, 30, 1, 4)) {
            case 0 -> new Step.Run(work(r));
            case 1 -> oneOf(r, List.of(Step.LeaseEvent.values()));
            default -> new Step.ClockAdvance(Duration.ofMillis(oneOf(r, List.of(500L, 1_000L, 1_000L, 3_000L))));
        });
    }

    /** Rounds of works submitted together; the rounds follow one another. */
    static List<List<Work>> concurrentScenario(SplittableRandom random) {
        return listOf(random, 1, 3, r -> listOf(r, 1, 12, Workloads::work));
    }

    /** Without one step, or with one work smaller. */
    static List<List<Step>> smallerSequential(List<Step> steps) {
        return smaller(steps, 0, step -> step instanceof Step.Run run
                                         ? smallerWork(run.work()).stream().<Step>map(Step.Run::new).toList()
                                         : List.of());
    }

    /** Without one round, without one work of a round, or with one work smaller; no round is left empty. */
    static List<List<List<Work>>> smallerConcurrent(List<List<Work>> rounds) {
        return smaller(rounds, 1, round -> smaller(round, 1, Workloads::smallerWork));
    }

    /** Without its throw, without one of its operations (it keeps one at least), or with one operation smaller. */
    private static List<Work> smallerWork(Work work) {
        Stream<Work> withoutThrow = work.failsAtEnd() ? Stream.of(new Work(work.ops(), false)) : Stream.empty();
        Stream<Work> withoutAPart = smaller(work.ops(), 1, Workloads::smallerOp).stream()
                .map(ops -> new Work(ops, work.failsAtEnd()));
        return Stream.concat(withoutThrow, withoutAPart).toList();
    }

    /**
     * An update is a load and a store, so either half alone is one part less (without this a stale read can shrink to
     * two updates, the culprit reads hidden inside them); a store's expected version is a part too.
     */
    private static List<Op> smallerOp(Op op) {
        if (op instanceof Op.Update update) {
            return List.of(new Op.Load(update.key()),
                    new Op.Store(update.key(), update.value(), OptionalLong.empty()));
        }
        if (op instanceof Op.Store store && store.expectedVersion().isPresent()) {
            return List.of(new Op.Store(store.key(), store.value(), OptionalLong.empty()));
        }
        if (op instanceof Op.LoadAll loadAll) {
            return smallerBatch(loadAll.keys(), Op.LoadAll::new, Op.Load::new);
        }
        if (op instanceof Op.DeleteAll deleteAll) {
            return smallerBatch(deleteAll.keys(), Op.DeleteAll::new, Op.Delete::new);
        }
        if (op instanceof Op.StoreAll storeAll) {
            return smallerStoreAll(storeAll);
        }
        if (op instanceof Op.StoreFor store) {
            return List.of(new Op.Store(store.key(), store.value(), OptionalLong.empty()));
        }
        if (op instanceof Op.IncrementFor increment) {
            return List.of(new Op.Increment(increment.key(), increment.delta()));
        }
        return List.of();
    }

    /** A batch of one key is its single operation; a larger one is smaller without one of its keys. */
    private static List<Op> smallerBatch(List<String> keys, Function<List<String>, Op> batch,
                                         Function<String, Op> single) {
        if (keys.size() == 1) {
            return List.of(single.apply(keys.get(0)));
        }
        return smaller(keys, 1, key -> List.of()).stream().map(batch).toList();
    }

    /**
     * Without one key or one expected version; of one key, the store it amounts to and, when it expects a version,
     * the load that check makes (as an update shrinks to its halves).
     */
    private static List<Op> smallerStoreAll(Op.StoreAll storeAll) {
        Map<String, StoredValue> values = storeAll.values();
        Map<String, Long> expected = storeAll.expectedVersions();
        List<Op> smaller = new ArrayList<>();
        if (values.size() == 1) {
            String key = values.keySet().iterator().next();
            if (expected.containsKey(key)) {
                smaller.add(new Op.Load(key));
            }
            smaller.add(new Op.Store(key, values.get(key),
                    expected.containsKey(key) ? OptionalLong.of(expected.get(key)) : OptionalLong.empty()));
            return smaller;
        }
        for (String key : values.keySet()) {
            Map<String, StoredValue> fewerValues = new LinkedHashMap<>(values);
            fewerValues.remove(key);
            Map<String, Long> fewerExpected = new LinkedHashMap<>(expected);
            fewerExpected.remove(key);
            smaller.add(new Op.StoreAll(fewerValues, fewerExpected));
        }
        for (String key : expected.keySet()) {
            Map<String, Long> fewerExpected = new LinkedHashMap<>(expected);
            fewerExpected.remove(key);
            smaller.add(new Op.StoreAll(values, fewerExpected));
        }
        return smaller;
    }

    /**
     * The candidates one part smaller than {@code items}: without one item (as long as {@code minSize} are left),
     * then with one item replaced by one of its own smaller forms. Removals come first: they shrink the most.
     */
    static <T> List<List<T>> smaller(List<T> items, int minSize, Function<T, List<T>> smallerItem) {
        List<List<T>> candidates = new ArrayList<>();
        for (int i = 0; items.size() > minSize && i < items.size(); i++) {
            List<T> without = new ArrayList<>(items);
            without.remove(i);
            candidates.add(without);
        }
        for (int i = 0; i < items.size(); i++) {
            for (T smallerOne : smallerItem.apply(items.get(i))) {
                List<T> replaced = new ArrayList<>(items);
                replaced.set(i, smallerOne);
                candidates.add(replaced);
            }
        }
        return candidates;
    }

    /** @return the index of the weight chosen, each in proportion to its weight */
    private static int weighted(SplittableRandom random, int... weights) {
        int pick = random.nextInt(IntStream.of(weights).sum());
        int chosen = 0;
        while (pick >= weights[chosen]) {
            pick -= weights[chosen++];
        }
        return chosen;
    }

    private static <T> T oneOf(SplittableRandom random, List<T> choices) {
        return choices.get(random.nextInt(choices.size()));
    }

    private static <T> List<T> listOf(SplittableRandom random, int minSize, int maxSize,
                                      Function<SplittableRandom, T> element) {
        return Stream.generate(() -> element.apply(random)).limit(random.nextInt(minSize, maxSize + 1)).toList();
    }
}
