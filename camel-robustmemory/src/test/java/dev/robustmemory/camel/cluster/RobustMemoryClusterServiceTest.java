package dev.robustmemory.camel.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.robustmemory.camel.RobustMemoryComponent;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster service within one JVM. Record locks belong to a whole process, but {@code NamedLocks} queues the
 * threads of one JVM for a name as well, so two services in one JVM exclude each other as two processes would.
 */
class RobustMemoryClusterServiceTest {

    private static final Duration EVENT_WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private final List<CamelContext> contexts = new ArrayList<>();
    /** Leadership events of every view in the test, in the order fired: "a leads 1234", "b follows". */
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @AfterEach
    void stopContexts() {
        contexts.forEach(CamelContext::stop);
    }

    @Test
    void ofTwoServicesOneLeadsAndTheOtherLeadsOnlyAfterTheFirstGaveUp() throws Exception {
        RobustMemoryClusterService a = startedService("a");
        RobustMemoryClusterView viewA = watchedView(a, "orders");
        awaitLeads(viewA);
        long firstToken = viewA.getFencingToken().orElseThrow();
        assertEquals(a.getId(), viewA.getLeader().orElseThrow().getId());

        RobustMemoryClusterService b = startedService("b");
        RobustMemoryClusterView viewB = watchedView(b, "orders");
        assertEquals("b follows", nextEvent(viewB), "a listener added to a started view hears the state at once");
        assertFalse(viewB.getLocalMember().isLeader());
        assertTrue(viewB.getLeader().isEmpty(), "another process's (here: service's) leadership is not known");
        assertEquals(List.of(viewB.getLocalMember()), viewB.getMembers());
        assertTrue(viewB.getFencingToken().isEmpty());

        a.stop();
        assertEquals("a follows", nextEvent(viewA), "the leader steps down first");
        String bLeads = nextEvent(viewB);
        assertTrue(bLeads.startsWith("b leads "), bLeads);
        assertTrue(Long.parseLong(bLeads.substring("b leads ".length())) > firstToken, "a greater fencing token");
        assertFalse(a.isLeader("orders"));
        assertTrue(b.isLeader("orders"));

        a.start(); // a service can be started again; it waits behind b now
        assertTrue(events.isEmpty(), () -> "no leadership change while b leads: " + events);
        b.stop();
        assertEquals("b follows", nextEvent(viewB));
        assertTrue(nextEvent(viewA).startsWith("a leads "));
    }

    @Test
    void aClusteredRouteRunsOnlyOnTheLeaderAndMovesWhenTheLeaderStops() throws Exception {
        CountDownLatch ticksOfA = new CountDownLatch(3);
        CountDownLatch ticksOfB = new CountDownLatch(3);
        CamelContext a = contextWithClusteredRoute("a", ticksOfA);
        assertTrue(ticksOfA.await(EVENT_WAIT.toMillis(), TimeUnit.MILLISECONDS), "the first context leads, runs the route");
        CamelContext b = contextWithClusteredRoute("b", ticksOfB);
        assertEquals(ServiceStatus.Started, a.getRouteController().getRouteStatus("clustered"));
        assertEquals(ServiceStatus.Stopped, b.getRouteController().getRouteStatus("clustered"));
        assertEquals(3, ticksOfB.getCount());

        a.stop();
        assertTrue(ticksOfB.await(EVENT_WAIT.toMillis(), TimeUnit.MILLISECONDS), "the route moved to b");
        assertEquals(ServiceStatus.Started, b.getRouteController().getRouteStatus("clustered"));
    }

    @Test
    void aLeaderWhoseNamesFileIsReplacedGivesUpAtOnceAndLeadsOnTheFileNowThere() throws Exception {
        RobustMemoryClusterService service = startedService("a");
        RobustMemoryClusterView view = watchedView(service, "orders");
        awaitLeads(view);
        Path namesFile = service.getNamesFile();
        Files.move(namesFile, dir.resolve("moved-away"));
        Files.createFile(namesFile);
        assertEquals("a follows", nextEvent(view), "a grant on the old file excludes nobody");
        assertTrue(nextEvent(view).startsWith("a leads "), "leading again, now on the file at the path");
        assertTrue(view.getLocalMember().isLeader());
    }

    @Test
    void theDatabaseDefaultsToTheComponentsAndNamesTheNamesFile() throws Exception {
        CamelContext context = context();
        context.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration()
                .setDatabase(dir.resolve("shared.db").toString());
        RobustMemoryClusterService service = new RobustMemoryClusterService();
        context.addService(service);
        context.start();
        assertEquals(dir.resolve("shared.db.names.lock"), service.getNamesFile());
        assertEquals("robustmemory-" + ProcessHandle.current().pid(), service.getId(), "the default id");
        assertEquals("cluster:orders", ((RobustMemoryClusterView) service.getView("orders")).getLockName());
    }

    @Test
    void badInputIsRefusedWithAClearMessage() throws Exception {
        CamelContext context = context();
        context.addService(new RobustMemoryClusterService(":memory:"));
        Exception inMemory = assertThrows(Exception.class, context::start);
        assertTrue(causes(inMemory).contains("an in-memory database cannot be shared between processes"),
                causes(inMemory));

        RobustMemoryClusterService service = startedService("a");
        Exception longNamespace = assertThrows(IllegalArgumentException.class, () -> service.getView("n".repeat(1100)));
        assertTrue(longNamespace.getMessage().contains("at most 1024 UTF-8 bytes"), longNamespace.getMessage());
    }

    private RobustMemoryClusterService startedService(String id) throws Exception {
        CamelContext context = context();
        RobustMemoryClusterService service = new RobustMemoryClusterService(dir.resolve("m.db").toString());
        service.setId(id);
        context.addService(service);
        context.start();
        return service;
    }

    private CamelContext contextWithClusteredRoute(String id, CountDownLatch ticks) throws Exception {
        CamelContext context = context();
        RobustMemoryClusterService service = new RobustMemoryClusterService(dir.resolve("m.db").toString());
        service.setId(id);
        context.addService(service);
        ClusteredRoutePolicy policy = ClusteredRoutePolicy.forNamespace(context, "orders");
        policy.setInitialDelay(Duration.ZERO);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("timer:tick?period=5&delay=0").routeId("clustered").routePolicy(policy)
                        .process(exchange -> ticks.countDown());
            }
        });
        context.start();
        return context;
    }

    private CamelContext context() {
        CamelContext context = new DefaultCamelContext();
        contexts.add(context);
        return context;
    }

    private RobustMemoryClusterView watchedView(RobustMemoryClusterService service, String namespace)
            throws Exception {
        CamelClusterView view = service.getView(namespace);
        view.addEventListener((CamelClusterEventListener.Leadership) (changed, leader) -> {
            RobustMemoryClusterView ours = (RobustMemoryClusterView) changed;
            events.add(service.getId() + (leader != null && leader.isLocal()
                    ? " leads " + ours.getFencingToken().orElseThrow() : " follows"));
        });
        return (RobustMemoryClusterView) view;
    }

    /**
     * Waits until the view's service leads. A listener added to a started view hears the state at once, which may
     * still be "follows" when the view's thread has not got the name yet.
     */
    private void awaitLeads(RobustMemoryClusterView view) throws InterruptedException {
        String event = nextEvent(view);
        if (event.endsWith(" follows")) {
            event = nextEvent(view);
        }
        assertTrue(event.startsWith(view.getClusterService().getId() + " leads "), event);
    }

    /** The next event of any view, which must be one of {@code view}'s service. */
    private String nextEvent(RobustMemoryClusterView view) throws InterruptedException {
        String event = events.poll(EVENT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(event, "no leadership event within " + EVENT_WAIT);
        assertTrue(event.startsWith(view.getClusterService().getId() + " "), () -> "unexpected event " + event);
        return event;
    }

    private static String causes(Throwable e) {
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append(" / ");
        }
        return messages.toString();
    }
}
