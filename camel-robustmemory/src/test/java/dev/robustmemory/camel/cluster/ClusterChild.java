package dev.robustmemory.camel.cluster;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.robustmemory.camel.RobustMemoryBackend;
import dev.robustmemory.camel.RobustMemoryComponent;
import dev.robustmemory.camel.RobustMemoryConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;

/**
 * A process of the cluster service's cross-process tests: a CamelContext with a {@link RobustMemoryClusterService} on
 * {@code DATABASE} and one timer route (every 5 ms) under {@code ClusteredRoutePolicy.forNamespace(NAMESPACE)}, its
 * initial delay 0 so that what is measured is the lock. Arguments: {@code clustered|unclustered DATABASE NAMESPACE
 * TICKS}.
 *
 * <p>Each tick appends {@code TICK <fencing token or -1> <System.nanoTime()>} to the file TICKS, and each leadership
 * event that names this JVM {@code GRANT <token> <System.nanoTime()>}, with one {@code write(2)} per line, so a
 * {@code kill -9} leaves whole lines. The first tick of a leadership prints {@code LEADS <token>}, every 20th tick
 * {@code TICKS <count>}. {@code unclustered} runs the route without the policy: the deliberately broken variant that
 * the test's check must catch. Prints {@code STARTED}, and stops when its standard input closes.
 *
 * <p>DATABASE may instead be {@code pg:<tablePrefix>:<lease millis>:<JDBC URL>}: the service then elects on the
 * PostgreSQL tables with that prefix (through a HikariCP pool of the child's own) with that lease, and a watcher
 * thread prints, every time it sees one change (it looks every 5 ms), {@code LEADER <true|false> <System.nanoTime()>}
 * for the local member's {@code isLeader()} and {@code ROUTE <status> <System.nanoTime()>} for the clustered route's
 * status, starting with their initial values.
 */
public final class ClusterChild {

    public static void main(String[] args) throws Exception {
        boolean clustered = args[0].equals("clustered");
        String namespace = args[2];
        boolean postgresql = args[1].startsWith("pg:");
        HikariDataSource pool = null;
        try (FileOutputStream ticks = new FileOutputStream(args[3], true);
             CamelContext context = new DefaultCamelContext()) {
            RobustMemoryClusterService service;
            if (postgresql) {
                String[] pg = args[1].split(":", 4); // pg, prefix, lease millis, JDBC URL (which has colons too)
                pool = pool(pg[3]);
                RobustMemoryConfiguration configuration = context
                        .getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration();
                configuration.setBackend(RobustMemoryBackend.postgresql);
                configuration.setDataSource(pool);
                service = new RobustMemoryClusterService();
                service.setTablePrefix(pg[1]);
                service.setLease(pg[2] + "ms");
            } else {
                service = new RobustMemoryClusterService(args[1]);
            }
            context.addService(service);
            RobustMemoryClusterView view = (RobustMemoryClusterView) service.getView(namespace);
            ClusteredRoutePolicy policy = ClusteredRoutePolicy.forNamespace(context, namespace);
            policy.setInitialDelay(Duration.ZERO);
            view.addEventListener((CamelClusterEventListener.Leadership) (changed, leader) -> {
                if (leader != null && leader.isLocal()) {
                    write(ticks, "GRANT " + view.getFencingToken().orElse(-1) + " " + System.nanoTime());
                }
            });
            AtomicLong announced = new AtomicLong(Long.MIN_VALUE);
            AtomicLong count = new AtomicLong();
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    var route = from("timer:tick?period=5&delay=0").routeId("clustered");
                    if (clustered) {
                        route.routePolicy(policy);
                    }
                    route.process(exchange -> {
                        long now = System.nanoTime();
                        long token = view.getFencingToken().orElse(-1);
                        write(ticks, "TICK " + token + " " + now);
                        if (announced.getAndSet(token) != token) {
                            System.out.println("LEADS " + token);
                        }
                        if (count.incrementAndGet() % 20 == 0) {
                            System.out.println("TICKS " + count.get());
                        }
                    });
                }
            });
            context.start();
            if (postgresql) {
                watch(context, view);
            }
            System.out.println("STARTED");
            while (System.in.read() >= 0) {
                // until the test closes our standard input
            }
        } finally {
            if (pool != null) {
                pool.close();
            }
        }
    }

    private static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(3);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(10_000);
        config.setPoolName("cluster-child-" + ProcessHandle.current().pid());
        return new HikariDataSource(config);
    }

    /** Prints each change of the local member's leadership and of the clustered route's status. */
    private static void watch(CamelContext context, RobustMemoryClusterView view) {
        Thread watcher = new Thread(() -> {
            Boolean leader = null;
            ServiceStatus route = null;
            while (true) {
                boolean leaderNow = view.getLocalMember().isLeader();
                ServiceStatus routeNow = context.getRouteController().getRouteStatus("clustered");
                long now = System.nanoTime();
                if (!Boolean.valueOf(leaderNow).equals(leader)) {
                    leader = leaderNow;
                    System.out.println("LEADER " + leaderNow + " " + now);
                }
                if (routeNow != route) {
                    route = routeNow;
                    System.out.println("ROUTE " + routeNow + " " + now);
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "cluster-child-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void write(FileOutputStream ticks, String line) {
        try {
            synchronized (ticks) {
                ticks.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
