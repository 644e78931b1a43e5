package dev.robustmemory.camel;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Camel's {@code camel.health.*} properties, read by camel-main as in an application, switch the memory's check as
 * they switch Camel's own producer checks.
 */
class RobustMemoryHealthCheckMainTest {

    @TempDir
    Path dir;

    @Test
    void offByDefaultLikeEveryProducerCheck() throws Exception {
        assertEquals(List.of(), memoryChecksWith(Map.of()));
    }

    @Test
    void producersEnabledTurnsItOn() throws Exception {
        assertEquals(List.of(HealthCheck.State.UP), memoryChecksWith(Map.of("camel.health.producersEnabled", "true")));
    }

    @Test
    void theExcludePatternHidesIt() throws Exception {
        assertEquals(List.of(), memoryChecksWith(Map.of("camel.health.producersEnabled", "true",
                "camel.health.excludePattern", "robustmemory*")));
    }

    @Test
    void theComponentOptionDisablesIt() throws Exception {
        assertEquals(List.of(HealthCheck.State.UNKNOWN), memoryChecksWith(Map.of("camel.health.producersEnabled",
                "true", "camel.component.robustmemory.healthCheckProducerEnabled", "false")));
    }

    /** Starts an application with these properties and a route to the memory; the states of the memory's checks. */
    private List<HealthCheck.State> memoryChecksWith(Map<String, String> properties) throws Exception {
        Main main = new Main();
        properties.forEach(main::addInitialProperty);
        main.addInitialProperty("camel.component.robustmemory.database", dir.resolve("memory.duckdb").toString());
        main.configure().addRoutesBuilder(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:remember").to("robustmemory:last");
            }
        });
        main.start();
        try {
            return HealthCheckHelper.invoke(main.getCamelContext(), check -> Map.of(), check -> false, "full")
                    .stream().filter(result -> result.getCheck().getId().startsWith("producer:robustmemory-"))
                    .map(HealthCheck.Result::getState).toList();
        } finally {
            main.stop();
        }
    }
}
