package dev.robustmemory.history;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A step whose answer the model contradicts at its revision (a change: in the state just before it).
 *
 * @param problem what was answered against what the model held, in words
 * @param keys    the key it is about (empty for listings and counts)
 * @param prefix  the prefix a listing or count is about ("" = all keys); null for a single key
 */
record Mismatch(Step step, String problem, Set<String> keys, String prefix) {

    /** Compares one step with the model; a placed change that would have changed nothing there mismatches too. */
    static Optional<Mismatch> of(Step step, MemoryModel model) {
        String problem = step.op().isOk() ? contradiction(step.call(), step.op().result(), model)
                                          : ineffective(step.call(), model);
        if (problem == null) {
            return Optional.empty();
        }
        Invocation call = step.call();
        String answered = step.op().isOk() ? call.type().word() + " answered " + step.op().result().encode()
                                           : call.describe() + ", counted as done,";
        String text = answered + " at revision " + step.revision() + ", but " + problem
                      + (step.change() ? " just before" : " then");
        boolean aboutKeys = call.type() == OpType.CLEAR || call.type() == OpType.KEYS || call.type() == OpType.SIZE;
        return Optional.of(new Mismatch(step, text, aboutKeys ? Set.of() : Set.of(call.key()),
                aboutKeys ? Objects.requireNonNullElse(call.key(), "") : null));
    }

    /** Whether an unknown or failed change touches what this mismatch is about. */
    boolean couldBeChangedBy(Invocation change) {
        String touched = Objects.requireNonNullElse(change.key(), "");
        boolean clear = change.type() == OpType.CLEAR;
        for (String key : keys) {
            if (clear ? key.startsWith(touched) : key.equals(touched)) {
                return true;
            }
        }
        return prefix != null && (touched.startsWith(prefix) || clear && prefix.startsWith(touched));
    }

    private static String contradiction(Invocation call, Result result, MemoryModel model) {
        String key = call.key();
        String held = key == null ? "" : model.get(key).map(entry -> "held " + entry).orElse("was absent");
        return switch (call.type()) {
            case STORE -> null;
            case CAS -> {
                long version = model.version(key);
                if (result instanceof Result.Conflict conflict) {
                    yield conflict.currentVersion() == call.expectedVersion()
                          ? "refused although the key was at the expected version"
                          : version == conflict.currentVersion() ? null : "the key was at version " + version;
                }
                yield version == call.expectedVersion() ? null : "the key was at version " + version;
            }
            case LOAD -> {
                String seen = result instanceof Result.Found found ? "held " + found.encode() : "was absent";
                yield held.equals(seen) ? null : "the key " + held;
            }
            case EXISTS, DELETE -> ((Result.Flag) result).value() == model.get(key).isPresent() ? null
                    : "the key " + held;
            case INCREMENT -> {
                Optional<String> sum = model.incremented(key, call.delta());
                boolean agrees = result instanceof Result.Found found ? sum.equals(Optional.of(found.value()))
                                                                      : sum.isEmpty();
                yield agrees ? null : "the key " + held;
            }
            case CLEAR -> {
                List<String> keys = model.keys(key);
                yield ((Result.Count) result).value() == keys.size() ? null
                        : "the keys with the prefix were " + keys;
            }
            case SIZE -> ((Result.Count) result).value() == model.size() ? null
                    : "the memory held " + model.keys("");
            case KEYS -> ((Result.KeyList) result).keys().equals(model.keys(key)) ? null
                    : "the keys with the prefix were " + model.keys(key);
        };
    }

    /** For a change the checker placed: why it could not have taken effect here (it would have changed nothing). */
    private static String ineffective(Invocation call, MemoryModel model) {
        String key = call.key();
        return switch (call.type()) {
            case CAS -> model.version(key) == call.expectedVersion() ? null
                    : "the key was at version " + model.version(key);
            case INCREMENT -> model.incremented(key, call.delta()).isPresent() ? null
                    : "the key held " + model.get(key).orElseThrow();
            case DELETE -> model.get(key).isPresent() ? null : "the key was absent";
            case CLEAR -> model.keys(key).isEmpty() ? "no key had the prefix" : null;
            default -> null;
        };
    }
}
