package dev.robustmemory.model;

import java.util.List;

/** Lincheck's sequential specification: the operations on a fresh {@link MemoryModel}. */
public class MemoryLincheckSpecification extends MemoryLincheckOperations {

    private final MemoryModel model = new MemoryModel(LiveMemory.MAX_VALUE_SIZE);

    @Override
    List<Object> perform(Work work) {
        try {
            return model.transaction(session -> work.run(session, 0)).answers();
        } catch (Exception e) {
            throw new IllegalStateException("the model failed on " + work, e);
        }
    }
}
