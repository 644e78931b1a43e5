package dev.robustmemory.model;

import dev.robustmemory.memory.StoredValue;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;

import java.util.List;
import java.util.OptionalLong;

/**
 * The operations Lincheck calls from its threads, each one work on a few keys: the same methods run on the real
 * memory ({@link MemoryLincheckSubject}) and on the model ({@link MemoryLincheckSpecification}), which differ only in
 * {@link #perform}. Answers are those of {@link Answers}: versions relative to the scenario's start.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:2")
@Param(name = "value", gen = IntGen.class, conf = "0:9")
@Param(name = "version", gen = IntGen.class, conf = "0:6")
public abstract class MemoryLincheckOperations {

    /** Runs the work in one transaction; @return the answers of its operations */
    abstract List<Object> perform(Work work);

    static String key(int key) {
        return "k" + key;
    }

    private Object performOne(Op op) {
        return perform(Work.of(op)).get(0);
    }

    @Operation
    public Object put(@Param(name = "key") int key, @Param(name = "value") int value) {
        return performOne(new Op.Store(key(key), StoredValue.json(Integer.toString(value)), OptionalLong.empty()));
    }

    /** A compare-and-set; version 0 means "must not exist". */
    @Operation
    public Object putIfVersion(@Param(name = "key") int key, @Param(name = "version") int version,
                               @Param(name = "value") int value) {
        return performOne(new Op.Store(key(key), StoredValue.json(Integer.toString(value)), OptionalLong.of(version)));
    }

    @Operation
    public Object get(@Param(name = "key") int key) {
        return performOne(new Op.Load(key(key)));
    }

    @Operation
    public Object delete(@Param(name = "key") int key) {
        return performOne(new Op.Delete(key(key)));
    }

    @Operation
    public Object increment(@Param(name = "key") int key) {
        return incrementByOne(key(key));
    }

    Object incrementByOne(String key) {
        return performOne(new Op.Increment(key, 1));
    }

    @Operation
    public Object keys() {
        return performOne(new Op.Keys(""));
    }

    /** Several operations in one work: what a clear leaves must be what the rest of the work sees. */
    @Operation
    public Object clearThenIncrement(@Param(name = "key") int key) {
        return perform(Work.of(new Op.Clear(""), new Op.Exists(key(key)), new Op.Increment(key(key), 1),
                new Op.Exists(key(key))));
    }
}
