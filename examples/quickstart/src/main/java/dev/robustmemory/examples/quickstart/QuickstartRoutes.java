package dev.robustmemory.examples.quickstart;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The quick start route: stores a greeting, loads it back, and increments a counter three times, logging the
 * results and the robustmemory headers of each step. It runs once, on a one-shot timer.
 *
 * <p>The counter lives in the database file, so it keeps growing from one run to the next until the file is
 * deleted ({@code mvn clean} does that for the default {@code target/quickstart.duckdb}).
 */
public class QuickstartRoutes extends RouteBuilder {

    /** The route id; the smoke test replaces this route's timer with a direct endpoint and observes its steps. */
    public static final String ROUTE_ID = "quickstart";
    public static final String GREETING_KEY = "greeting";
    public static final String COUNTER_KEY = "visits";
    public static final String GREETING = "Hello from camel-robustmemory";
    public static final int INCREMENTS = 3;

    private static final Logger LOG = LoggerFactory.getLogger(QuickstartRoutes.class);
    private static final String MEMORY_HEADER_PREFIX = "CamelRobustMemory";

    private final Path database;

    public QuickstartRoutes(Path database) {
        this.database = database;
    }

    @Override
    public void configure() {
        from("timer:quickstart?repeatCount=1&delay=0").routeId(ROUTE_ID)
                .setBody(constant(GREETING))
                .to(memory(GREETING_KEY, "store")).id("store-greeting")
                .log("Stored '${body}' under '" + GREETING_KEY + "'")
                .process(QuickstartRoutes::logMemoryHeaders)

                // the body sent with a load is ignored; clearing it shows that the value really comes back
                .setBody(constant(null))
                // so that the headers logged next are only those the load sets
                .removeHeaders(MEMORY_HEADER_PREFIX + "*")
                .to(memory(GREETING_KEY, "load")).id("load-greeting")
                .log("Loaded '${body}' (found=${header.CamelRobustMemoryFound})")
                .process(QuickstartRoutes::logMemoryHeaders)

                .loop(INCREMENTS)
                    .setBody(constant(1))
                    .removeHeaders(MEMORY_HEADER_PREFIX + "*")
                    .to(memory(COUNTER_KEY, "increment")).id("increment-counter")
                    .log("Incremented '" + COUNTER_KEY + "' to ${body}")
                    .process(QuickstartRoutes::logMemoryHeaders)
                .end();
    }

    private String memory(String key, String operation) {
        return "robustmemory:" + key + "?operation=" + operation + "&database=" + database;
    }

    /**
     * Logs every robustmemory header of the message, in name order: the version and fencing token, and the lock
     * metrics headers when the component sets them.
     */
    private static void logMemoryHeaders(Exchange exchange) {
        Map<String, Object> memoryHeaders = new TreeMap<>();
        exchange.getMessage().getHeaders().forEach((name, value) -> {
            if (name.startsWith(MEMORY_HEADER_PREFIX)) {
                memoryHeaders.put(name, value);
            }
        });
        memoryHeaders.forEach((name, value) -> LOG.info("    {} = {}", name, value));
    }
}
