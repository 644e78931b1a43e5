package dev.robustmemory.model;

import dev.robustmemory.memory.StoredValue;

import java.util.OptionalLong;

/**
 * A planted bug for {@link MemoryModelLincheckTest}: an increment made of two works, a load and then a store of the
 * sum, so that two callers can read the same value and one increment is lost.
 */
public class IncrementLosingSubject extends MemoryLincheckSubject {

    public IncrementLosingSubject() throws Exception {
        super();
    }

    @Override
    Object incrementByOne(String key) {
        Object read = perform(Work.of(new Op.Load(key))).get(0);
        long value = read instanceof Answers.Versioned found ? Long.parseLong(found.value().text()) : 0;
        return perform(Work.of(new Op.Store(key, StoredValue.json(Long.toString(value + 1)), OptionalLong.empty())))
                .get(0);
    }
}
