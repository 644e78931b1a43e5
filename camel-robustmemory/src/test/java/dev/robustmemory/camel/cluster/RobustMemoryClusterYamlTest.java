package dev.robustmemory.camel.cluster;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster service as an application declares it: a YAML {@code beans:} entry that Camel Main adds to the context's
 * services, and a route whose {@code routePolicy} is a {@code ClusteredRoutePolicy} bean.
 */
class RobustMemoryClusterYamlTest {

    @TempDir
    Path dir;

    @Test
    void aYamlBeanIsTheContextsClusterServiceAndItsRouteRunsOnlyWhileItLeads() throws Exception {
        Path database = dir.resolve("m.db");
        CountDownLatch otherLeads = new CountDownLatch(1);
        try (CamelContext other = new DefaultCamelContext()) {
            RobustMemoryClusterService otherService = new RobustMemoryClusterService(database.toString());
            other.addService(otherService);
            other.start();
            CamelClusterView otherView = otherService.getView("orders");
            otherView.addEventListener((CamelClusterEventListener.Leadership) (view, leader) -> {
                if (leader != null) {
                    otherLeads.countDown();
                }
            });
            assertTrue(otherLeads.await(10, TimeUnit.SECONDS));

            Main main = new Main();
            main.addInitialProperty("memory.database", database.toString());
            main.configure().withRoutesIncludePattern("classpath:routes/cluster-routes.yaml");
            main.start();
            try {
                CamelContext context = main.getCamelContext();
                RobustMemoryClusterService service = context.hasService(RobustMemoryClusterService.class);
                assertEquals(database.resolveSibling("m.db.names.lock"), service.getNamesFile());
                assertEquals(ServiceStatus.Stopped, context.getRouteController().getRouteStatus("poll-orders"),
                        "another service leads");
                MockEndpoint polled = context.getEndpoint("mock:polled", MockEndpoint.class);
                polled.expectedMinimumMessageCount(3);

                other.stop();
                polled.assertIsSatisfied(10_000);
                assertTrue(service.isLeader("orders"));
            } finally {
                main.stop();
            }
        }
    }
}
