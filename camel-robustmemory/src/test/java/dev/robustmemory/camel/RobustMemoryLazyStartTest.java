package dev.robustmemory.camel;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.robustmemory.duckdb.lock.LockGrant;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What starting a route costs and when a database path that cannot be used is noticed: a start never takes the lock
 * nor opens the database; a bad path fails the route's start, or with {@code lazyStartProducer=true} the message that
 * first needs the producer, so that the route's error handling sees it.
 */
class RobustMemoryLazyStartTest extends RobustMemoryTestSupport {

    @Test
    void startingARouteTakesNoLockAndOpensNoDatabase() throws Exception {
        try (LockGrant held = holdLockElsewhere()) {
            context.addRoutes(route("direct:eager", "robustmemory:k"));
            assertTrue(context.getRouteController().getRouteStatus("direct:eager").isStarted());
            assertFalse(Files.exists(database()), "the first operation creates the database, not the start");
        }
        call("direct:eager", "v");
        assertEquals("v", call("robustmemory:k?operation=load", null).getMessage().getBody(String.class));
    }

    @Test
    void withLazyStartADirectoryWhereTheDatabaseShouldBeFailsTheFirstMessageNotTheStart() throws Exception {
        Path directory = Files.createDirectory(dir.resolve("directory.duckdb"));
        startsButFailsEachMessage(directory.toString(), directory);

        Files.delete(directory); // the lazy producer is started again by the next message
        call("direct:lazy", "works now");
        assertEquals("works now",
                call("robustmemory:k?operation=load&database=" + directory, null).getMessage().getBody(String.class));
    }

    @Test
    void withLazyStartAParentThatCannotHoldTheDatabaseFailsTheFirstMessageNotTheStart() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "not a directory");
        startsButFailsEachMessage(notADirectory.resolve("memory.duckdb").toString(), notADirectory);
    }

    @Test
    void withoutLazyStartTheSamePathFailsTheRouteStart() throws Exception {
        Path directory = Files.createDirectory(dir.resolve("directory.duckdb"));
        Exception e = assertThrows(Exception.class,
                () -> context.addRoutes(route("direct:eager", "robustmemory:k?database=" + directory)));
        assertTrue(causes(e).contains(directory.toString()), causes(e));
    }

    private void startsButFailsEachMessage(String database, Path named) throws Exception {
        context.addRoutes(route("direct:lazy", "robustmemory:k?lazyStartProducer=true&database=" + database));
        assertTrue(context.getRouteController().getRouteStatus("direct:lazy").isStarted());
        for (int message = 0; message < 2; message++) {
            Exchange failed = send("direct:lazy", "v");
            assertNotNull(failed.getException(), "message " + message + " cannot be stored under " + database);
            assertTrue(causes(failed.getException()).contains(named.toString()), causes(failed.getException()));
        }
    }

    private static RoutesBuilder route(String from, String to) {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from(from).routeId(from).to(to);
            }
        };
    }

    private static String causes(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            text.append(t.getMessage()).append(" / ");
        }
        return text.toString();
    }
}
