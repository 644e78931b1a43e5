package dev.robustmemory.model;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What Lincheck's threads call: the real memory shared by every scenario, each scenario (one instance) in its own key
 * namespace, so that no scenario needs a fresh database; its versions count from the revision when it began.
 */
public class MemoryLincheckSubject extends MemoryLincheckOperations {

    /** Set by the test around Lincheck's run: Lincheck makes the instances itself. */
    static volatile LiveMemory memory;
    private static final AtomicLong SCENARIOS = new AtomicLong();

    private final String namespace = "scenario-" + SCENARIOS.incrementAndGet() + "/";
    private final long base;

    public MemoryLincheckSubject() throws Exception {
        base = memory.revision();
    }

    @Override
    List<Object> perform(Work work) {
        WorkRecord record;
        try {
            record = memory.execute(work, base, session -> new PrefixedSession(session, namespace));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (record.failure() != null) {
            throw new IllegalStateException(work + " failed", record.failure());
        }
        return record.observed().answers();
    }
}
