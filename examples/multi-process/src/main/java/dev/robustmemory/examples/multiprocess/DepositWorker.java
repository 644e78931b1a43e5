package dev.robustmemory.examples.multiprocess;

import org.apache.camel.main.Main;

/**
 * One worker JVM of the critical-section demo: camel-main running the YAML route {@code routes/deposit.yaml}, whose
 * placeholders are system properties set by the launcher; it exits once its {@code deposits} are done.
 */
public final class DepositWorker {

    private DepositWorker() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main();
        main.configure().withRoutesIncludePattern("classpath:routes/deposit.yaml");
        main.configure().withDurationMaxMessages(Integer.getInteger("deposits"));
        main.run(args);
    }
}
