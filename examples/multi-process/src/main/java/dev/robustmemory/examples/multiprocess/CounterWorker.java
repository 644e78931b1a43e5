package dev.robustmemory.examples.multiprocess;

import org.apache.camel.main.Main;

/**
 * One worker JVM of the demo: camel-main running the YAML route {@code routes/shared-counter.yaml}. The system
 * properties {@code memory.database} and {@code increments} fill the route's placeholders; with a positive
 * {@code increments} the worker exits once that many increments are done.
 */
public final class CounterWorker {

    static final String ROUTES = "classpath:routes/shared-counter.yaml";

    private CounterWorker() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main();
        main.configure().withRoutesIncludePattern(ROUTES);
        main.configure().withDurationMaxMessages(Integer.getInteger("increments", 0));
        main.run(args);
    }
}
