package dev.robustmemory.camel;

import java.time.Duration;
import java.util.List;

import dev.robustmemory.testing.ChildJvm;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.CLEANED;
import static dev.robustmemory.camel.RobustMemoryConstants.EVENT_TYPE;
import static dev.robustmemory.camel.RobustMemoryConstants.FOUND;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY_PREFIX;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The component used from a YAML DSL route file, both as {@code uri: robustmemory} with parameters and as a URI, as a
 * producer and as the orphan-cleanup consumer.
 */
class RobustMemoryYamlRouteTest extends RobustMemoryTestSupport {

    @BeforeEach
    void loadRoutes() throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(
                ResourceHelper.resolveMandatoryResource(context, "classpath:routes/robustmemory-routes.yaml"));
    }

    @Test
    void parametersBecomeEndpointOptions() {
        RobustMemoryEndpoint endpoint = context.getEndpoints().stream()
                .filter(RobustMemoryEndpoint.class::isInstance).map(RobustMemoryEndpoint.class::cast)
                .filter(candidate -> "greeting".equals(candidate.getKey())
                                     && "10s".equals(candidate.getConfiguration().getLockTimeout()))
                .findFirst().orElseThrow();
        assertEquals(database().toString(), endpoint.getConfiguration().getDatabase());
    }

    @Test
    void storesAndLoadsThroughTheRoutes() throws Exception {
        MockEndpoint recalled = getMockEndpoint("mock:yaml-recalled");
        recalled.expectedBodiesReceived("hello from yaml");
        recalled.expectedHeaderReceived(FOUND, true);
        recalled.expectedHeaderReceived(VERSION, 1L);

        Exchange stored = template.request("direct:yaml-remember", exchange -> exchange.getIn().setBody("hello from yaml"));
        assertEquals(1L, stored.getMessage().getHeader(VERSION));
        template.sendBody("direct:yaml-recall", null);

        recalled.assertIsSatisfied();
    }

    @Test
    void headersSelectTheKeyForIncrements() {
        assertEquals(1L, template.requestBodyAndHeader("direct:yaml-count-visit", null, "visitor", "ada"));
        assertEquals(2L, template.requestBodyAndHeader("direct:yaml-count-visit", null, "visitor", "ada"));
        assertEquals(1L, template.requestBodyAndHeader("direct:yaml-count-visit", null, "visitor", "bob"));

        Object keys = template.requestBodyAndHeader("robustmemory:?operation=keys", null, KEY_PREFIX, "visits:");
        assertEquals(List.of("visits:ada", "visits:bob"), keys);
    }

    @Test
    void theConsumerRouteReportsAGarbageOwnerRecordAsRepaired() throws Exception {
        MockEndpoint events = getMockEndpoint("mock:yaml-lock-events");
        events.expectedMessageCount(1);
        events.expectedHeaderReceived(EVENT_TYPE, "CORRUPT");
        events.expectedHeaderReceived(CLEANED, true);

        try (ChildJvm stray = ChildJvm.start(dir.resolve("tmp"), MemoryChild.class, "garbage",
                database() + ".lock")) {
            assertEquals(0, stray.awaitExit(Duration.ofSeconds(60)), () -> String.valueOf(stray.transcript()));
        }

        events.assertIsSatisfied();
    }
}
