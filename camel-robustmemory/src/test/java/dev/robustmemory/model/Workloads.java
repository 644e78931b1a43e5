package dev.robustmemory.model;

import dev.robustmemory.store.MemoryStore;
import dev.robustmemory.store.StoredValue;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.util.List;
import java.util.OptionalLong;

/**
 * Random operations, works and scenarios. A few keys, prefixes and values that overlap a lot (so that operations
 * meet on the same keys), the characters a LIKE pattern would misread ('%', '_'), text outside the BMP, and a small
 * share of invalid input. Each choice shrinks towards the first, plainest alternative.
 */
final class Workloads {

    private static final String LONGEST_KEY = "k".repeat(MemoryStore.MAX_KEY_LENGTH);
    private static final String UNPAIRED_SURROGATE = "\uD800";

    private Workloads() {
    }

    static Arbitrary<String> keys() {
        return Arbitraries.frequencyOf(
                Tuple.of(30, Arbitraries.of("a", "b", "ab", "a%", "a_", "%", "_", "\u00E9", "\uD83D\uDE00")),
                Tuple.of(1, Arbitraries.of("", LONGEST_KEY + "k", UNPAIRED_SURROGATE, LONGEST_KEY).injectNull(0.2)));
    }

    static Arbitrary<String> prefixes() {
        return Arbitraries.of("", "a", "a%", "a_", "%", "_", "b", "\uD83D\uDE00", "\uD83D", "z").injectNull(0.05);
    }

    static Arbitrary<StoredValue> values() {
        String sixteenBytes = "\u00E9".repeat((int) LiveMemory.MAX_VALUE_SIZE / 2);
        return Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.integers().between(0, 99).map(i -> StoredValue.json(Integer.toString(i)))),
                Tuple.of(6, Arbitraries.of(StoredValue.text("x"), StoredValue.json(" -7 "), StoredValue.json("1.0"),
                        StoredValue.json("\"1\""), StoredValue.json("null"), StoredValue.text("1"),
                        StoredValue.bytes(new byte[]{1, 0}), StoredValue.json(Long.toString(Long.MAX_VALUE)),
                        StoredValue.json("99999999999999999999"), StoredValue.text(sixteenBytes))),
                Tuple.of(1, Arbitraries.of(StoredValue.text(sixteenBytes + "x"),
                        StoredValue.bytes(new byte[(int) LiveMemory.MAX_VALUE_SIZE + 1]),
                        StoredValue.text(UNPAIRED_SURROGATE))));
    }

    /** Relative to the scenario's base revision: small numbers meet real versions often enough. */
    static Arbitrary<OptionalLong> expectedVersions() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(OptionalLong.empty())),
                Tuple.of(3, Arbitraries.longs().between(0, 12).map(OptionalLong::of)),
                Tuple.of(1, Arbitraries.just(OptionalLong.of(-1))));
    }

    static Arbitrary<Long> deltas() {
        return Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.longs().between(-3, 5)),
                Tuple.of(1, Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE)));
    }

    static Arbitrary<Op> ops() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Combinators.combine(keys(), values(), expectedVersions()).as(Op.Store::new)),
                Tuple.of(3, keys().map(Op.Load::new)),
                Tuple.of(3, Combinators.combine(keys(), deltas()).as(Op.Increment::new)),
                Tuple.of(2, keys().map(Op.Delete::new)),
                Tuple.of(2, keys().map(Op.Exists::new)),
                Tuple.of(1, Combinators.combine(keys(), values()).as(Op.Update::new)),
                Tuple.of(1, prefixes().map(Op.Keys::new)),
                Tuple.of(1, prefixes().map(Op.Clear::new)),
                Tuple.of(1, Arbitraries.just(new Op.Size())));
    }

    /** Mostly one operation, sometimes several in one transaction; one in ten throws after its operations. */
    static Arbitrary<Work> works() {
        return Combinators.combine(ops().list().ofMinSize(1).ofMaxSize(4),
                        Arbitraries.frequency(Tuple.of(9, false), Tuple.of(1, true)))
                .as(Work::new);
    }

    static Arbitrary<List<Step>> sequentialScenarios() {
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                Tuple.of(30, works().map(Step.Run::new)),
                Tuple.of(1, Arbitraries.of(Step.LeaseEvent.values())));
        return step.list().ofMaxSize(24);
    }

    /** Rounds of works submitted together; the rounds follow one another. */
    static Arbitrary<List<List<Work>>> concurrentScenarios() {
        return works().list().ofMinSize(1).ofMaxSize(12).list().ofMinSize(1).ofMaxSize(3);
    }
}
