package dev.robustmemory.camel;

import java.io.InputStream;
import java.time.Duration;

import dev.robustmemory.duckdb.lock.ProcessIdentity;
import dev.robustmemory.memory.VersionConflictException;
import dev.robustmemory.testing.ChildJvm;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.model.RoutesDefinition;
import org.apache.camel.xml.in.ModelParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.CLEANED;
import static dev.robustmemory.camel.RobustMemoryConstants.EVENT_TYPE;
import static dev.robustmemory.camel.RobustMemoryConstants.FOUND;
import static dev.robustmemory.camel.RobustMemoryConstants.HOLDER_HOST;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The component used from an XML route file, parsed with camel-xml-io (camel-xml-io-dsl 4.22 is not served), as a
 * producer and as the orphan-cleanup consumer.
 */
class RobustMemoryXmlRouteTest extends RobustMemoryTestSupport {

    @BeforeEach
    void loadRoutes() throws Exception {
        try (InputStream xml = getClass().getResourceAsStream("/routes/robustmemory-routes.xml")) {
            RoutesDefinition routes = new ModelParser(xml, "http://camel.apache.org/schema/xml-io")
                    .parseRoutesDefinition().orElseThrow();
            context.addRouteDefinitions(routes.getRoutes());
        }
    }

    @Test
    void storesAndLoadsThroughTheRoutes() throws Exception {
        MockEndpoint recalled = getMockEndpoint("mock:xml-recalled");
        recalled.expectedBodiesReceived("hello from xml");
        recalled.expectedHeaderReceived(FOUND, true);

        template.sendBody("direct:xml-remember", "hello from xml");
        template.sendBody("direct:xml-recall", null);

        recalled.assertIsSatisfied();
    }

    @Test
    void compareAndSetThroughAHeaderSetInTheRoute() {
        template.sendBody("direct:xml-remember", "first");

        Object replaced = template.request("direct:xml-replace", exchange -> {
            exchange.getIn().setBody("second");
            exchange.getIn().setHeader("seenVersion", 1);
        }).getMessage().getHeader(VERSION);
        assertEquals(2L, replaced);

        CamelExecutionException stale = assertThrows(CamelExecutionException.class,
                () -> template.sendBodyAndHeader("direct:xml-replace", "third", "seenVersion", 1));
        assertEquals(2L, assertInstanceOf(VersionConflictException.class, stale.getCause()).currentVersion());
        assertEquals("second", template.requestBody("direct:xml-recall", (Object) null));
    }

    @Test
    void theConsumerRouteReportsAHolderOnAnotherHost() throws Exception {
        String otherHost = ProcessIdentity.current().host() + "-elsewhere";
        MockEndpoint events = getMockEndpoint("mock:xml-lock-events");
        events.expectedMessageCount(1);
        events.expectedHeaderReceived(EVENT_TYPE, "FOREIGN_HOST");
        events.expectedHeaderReceived(HOLDER_HOST, otherHost);
        events.expectedHeaderReceived(CLEANED, false);

        try (ChildJvm elsewhere = ChildJvm.start(dir.resolve("tmp"), MemoryChild.class, "foreign",
                database() + ".lock", otherHost)) {
            assertEquals(0, elsewhere.awaitExit(Duration.ofSeconds(60)), () -> String.valueOf(elsewhere.transcript()));
        }

        events.assertIsSatisfied();
    }
}
