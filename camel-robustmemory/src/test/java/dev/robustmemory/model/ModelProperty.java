package dev.robustmemory.model;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A property over random scenarios: {@code model.tries} scenarios (the build sets it, the torture profile raises it),
 * each made from a seed of its own. The first that fails is shrunk and reported with its seed.
 *
 * <p><b>Shrinking</b> is greedy delta debugging: of the candidates one part smaller than the failing scenario (the
 * scenario kind says what its parts are), the first that still fails takes its place, and the search starts again
 * from it, until no candidate fails or the budget is spent. Unless the budget ran out (the report says so), what is
 * left is a counterexample from which no single part can be removed.
 *
 * <p><b>Seeds.</b> {@code -Dmodel.seed=N} makes seed N the first try's, so the reported seed makes the failing
 * scenario again (its timing aside, for concurrent scenarios); the later tries' seeds are drawn from the first.
 *
 * @param <S> a scenario
 */
final class ModelProperty<S> {

    static final int TRIES = Integer.getInteger("model.tries", 100);
    /** A try takes milliseconds (a reopen some tens): a minute is thousands of candidates, more than shrinking needs. */
    private static final Duration SHRINK_BUDGET = Duration.ofMinutes(1);

    /** One scenario's check: it returns when the memory behaved and throws what it found otherwise. */
    @FunctionalInterface
    interface Check<S> {
        void run(S scenario) throws Exception;
    }

    /** What a failing property found: the first failing scenario, its shrunk form and what that failed with. */
    record Counterexample<S>(String property, long seed, int tryNumber, int tries, S original, S shrunk,
                             int shrinkSteps, boolean budgetSpent, Throwable failure) {

        String report() {
            return property + " failed on try " + tryNumber + " of " + tries + ", seed " + seed
                   + " (-Dmodel.seed=" + seed + " makes it first)"
                   + "\n  shrunk in " + shrinkSteps + " steps" + (budgetSpent ? " (budget spent)" : "") + ": " + shrunk
                   + "\n  original: " + original;
        }
    }

    /** A scenario and what it failed with. */
    private record Failing<S>(S scenario, Throwable failure) {
    }

    private final String name;
    private final Function<SplittableRandom, S> generator;
    private final Function<S, List<S>> smaller;
    private final Check<S> check;

    /**
     * @param smaller the scenarios one part smaller than a given one, the likeliest to shrink well first
     */
    ModelProperty(String name, Function<SplittableRandom, S> generator, Function<S, List<S>> smaller, Check<S> check) {
        this.name = name;
        this.generator = generator;
        this.smaller = smaller;
        this.check = check;
    }

    /** @throws AssertionError the report of the shrunk counterexample, caused by what it failed with */
    void check() {
        findCounterexample().ifPresent(found -> {
            throw new AssertionError(found.report(), found.failure());
        });
    }

    Optional<Counterexample<S>> findCounterexample() {
        return findCounterexample(Long.getLong("model.seed", new SplittableRandom().nextLong()), TRIES);
    }

    Optional<Counterexample<S>> findCounterexample(long firstSeed, int tries) {
        SplittableRandom seeds = new SplittableRandom(firstSeed);
        for (int tryNumber = 1; tryNumber <= tries; tryNumber++) {
            long seed = tryNumber == 1 ? firstSeed : seeds.nextLong();
            S scenario = generator.apply(new SplittableRandom(seed));
            Throwable failure = failureOf(scenario);
            if (failure != null) {
                return Optional.of(shrink(seed, tryNumber, tries, new Failing<>(scenario, failure)));
            }
        }
        return Optional.empty();
    }

    private Counterexample<S> shrink(long seed, int tryNumber, int tries, Failing<S> original) {
        long deadline = System.nanoTime() + SHRINK_BUDGET.toNanos();
        Failing<S> shrunk = original;
        int steps = 0;
        Optional<Failing<S>> smallerOne;
        while ((smallerOne = firstFailing(smaller.apply(shrunk.scenario()), original, deadline)).isPresent()) {
            shrunk = smallerOne.get();
            steps++;
        }
        return new Counterexample<>(name, seed, tryNumber, tries, original.scenario(), shrunk.scenario(), steps,
                passed(deadline), shrunk.failure());
    }

    /**
     * Only a failure of the original's kind counts: a smaller scenario that fails otherwise (a timeout where there was
     * a mismatch, say) shows another problem, and shrinking towards it would lose the one found.
     */
    private Optional<Failing<S>> firstFailing(List<S> candidates, Failing<S> original, long deadline) {
        for (S candidate : candidates) {
            if (passed(deadline)) {
                break;
            }
            Throwable failure = failureOf(candidate);
            if (failure != null && failure.getClass() == original.failure().getClass()) {
                return Optional.of(new Failing<>(candidate, failure));
            }
        }
        return Optional.empty();
    }

    private static boolean passed(long deadlineNanos) {
        return System.nanoTime() - deadlineNanos >= 0; // nanoTime may wrap: compare differences only
    }

    private Throwable failureOf(S scenario) {
        try {
            check.run(scenario);
            return null;
        } catch (Exception | AssertionError e) {
            return e;
        }
    }
}
