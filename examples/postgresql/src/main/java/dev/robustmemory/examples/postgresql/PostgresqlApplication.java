package dev.robustmemory.examples.postgresql;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.robustmemory.camel.RobustMemoryBackend;
import dev.robustmemory.camel.RobustMemoryComponent;
import dev.robustmemory.camel.RobustMemoryIdempotentRepository;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two Camel contexts standing in for two hosts, each with its own connection pool, share one memory on PostgreSQL:
 * both are sent the same orders, each order twice, at once, and every order is accepted exactly once.
 *
 * <p>The server is an embedded PostgreSQL 14 (its data in {@code target/postgresql-data}, kept between runs), unless
 * the environment variable {@code POSTGRESQL_URL=jdbc:postgresql://host:5432/db} (with {@code POSTGRESQL_USER} and
 * {@code POSTGRESQL_PASSWORD}) names a server of your own.
 */
public final class PostgresqlApplication {

    public static final int ORDERS_PER_RUN = 20;
    private static final Logger LOG = LoggerFactory.getLogger(PostgresqlApplication.class);

    private PostgresqlApplication() {
    }

    public static void main(String[] args) throws Exception {
        String url = System.getenv("POSTGRESQL_URL");
        EmbeddedPostgres server = url != null ? null : EmbeddedPostgres.builder()
                .setDataDirectory(Path.of("target", "postgresql-data")).setCleanDataDirectory(false).start();
        try {
            String jdbcUrl = url != null ? url : server.getJdbcUrl("postgres", "postgres");
            String user = Objects.requireNonNullElse(System.getenv("POSTGRESQL_USER"), "postgres");
            String password = Objects.requireNonNullElse(System.getenv("POSTGRESQL_PASSWORD"), "");
            long accepted = runTwoHosts(() -> pool(jdbcUrl, user, password));
            LOG.info("{} orders accepted in all runs so far (each run adds {})", accepted, ORDERS_PER_RUN);
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    /** What a host's Camel context needs to reach the memory: a pool of its own, closed after the context. */
    @FunctionalInterface
    interface DataSources {
        HikariDataSource open();
    }

    /**
     * Starts two contexts on data sources from {@code dataSources}, sends each the same orders of a new run (each
     * twice, shuffled, from two threads), stops them, and returns the accepted-orders counter.
     */
    static long runTwoHosts(DataSources dataSources) throws Exception {
        List<HikariDataSource> pools = List.of(dataSources.open(), dataSources.open());
        List<CamelContext> hosts = List.of(host("A", pools.get(0)), host("B", pools.get(1)));
        try {
            ProducerTemplate first = hosts.get(0).createProducerTemplate();
            long run = first.requestBody("direct:next-run", null, Long.class);
            List<String> orders = new ArrayList<>();
            for (int i = 1; i <= ORDERS_PER_RUN; i++) {
                orders.add("run-" + run + "/order-" + i);
            }
            ExecutorService senders = Executors.newFixedThreadPool(hosts.size());
            try {
                List<Future<?>> sent = new ArrayList<>();
                for (CamelContext host : hosts) {
                    List<String> arrivals = new ArrayList<>(orders);
                    arrivals.addAll(orders);
                    Collections.shuffle(arrivals, new Random(host.getName().hashCode()));
                    ProducerTemplate template = host.createProducerTemplate();
                    sent.add(senders.submit(() -> arrivals.forEach(
                            order -> template.sendBodyAndHeader("direct:orders", null, "orderId", order))));
                }
                for (Future<?> done : sent) {
                    done.get();
                }
            } finally {
                senders.shutdown();
            }
            return first.requestBody("robustmemory:" + OrderRoutes.ACCEPTED_KEY + "?operation=load", null,
                    Long.class);
        } finally {
            for (CamelContext host : hosts) {
                host.close();
            }
            pools.forEach(HikariDataSource::close);
        }
    }

    private static CamelContext host(String name, DataSource dataSource) throws Exception {
        CamelContext context = new DefaultCamelContext();
        context.getCamelContextExtension().setName("host-" + name);
        // The only DataSource in the registry: the component and the repository find it by themselves.
        context.getRegistry().bind("memoryDataSource", dataSource);
        context.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration()
                .setBackend(RobustMemoryBackend.postgresql);
        RobustMemoryIdempotentRepository seenOrders = new RobustMemoryIdempotentRepository();
        seenOrders.setBackend(RobustMemoryBackend.postgresql);
        seenOrders.setName("orders");
        context.getRegistry().bind("seenOrders", seenOrders);
        context.addRoutes(new OrderRoutes(name));
        context.start();
        return context;
    }

    private static HikariDataSource pool(String jdbcUrl, String user, String password) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(4);
        return new HikariDataSource(config);
    }
}
