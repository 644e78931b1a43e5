package dev.robustmemory.examples.quickstart;

import org.apache.camel.main.Main;

import java.nio.file.Path;

/**
 * Runs {@link QuickstartRoutes} with camel-main and exits once its one exchange has completed.
 */
public final class QuickstartApplication {

    /** Relative to the working directory; the README's run command runs in the example's module directory. */
    static final Path DATABASE = Path.of("target", "quickstart.duckdb");

    private QuickstartApplication() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main();
        main.configure().addRoutesBuilder(new QuickstartRoutes(DATABASE));
        // the one-shot timer sends one exchange; stop when it has completed
        main.configure().withDurationMaxMessages(1);
        main.run(args);
    }
}
