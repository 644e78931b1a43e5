package dev.robustmemory.camel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.robustmemory.duckdb.lock.LockHistory;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.RouteDefinition;

import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_NAME;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TOKEN;

/**
 * The other process of the lock policy's cross-process tests: Camel, with a route whose critical section is a
 * {@code .policy(...)} block of a robustmemory lock policy. Modes (all take the memory and the lock name first; the
 * memory is a DuckDB database path, or {@code pg:<tablePrefix>:<lease millis>:<JDBC URL>} for the PostgreSQL tables
 * with that prefix, reached through a HikariCP pool of the child's own, the policy's lease as given):
 * <ul>
 * <li>{@code counter DATABASE NAME N HOLD_MICROS HISTORY locked|unlocked}: prints {@code READY}, waits for
 * {@code go}, then N times runs a read-modify-write of the key {@code counter} over three route steps (load, a slow
 * step of HOLD_MICROS, store the value plus one), inside the block when {@code locked}, recording ENTER and EXIT of the
 * block with its token in HISTORY; {@code unlocked} is the same route without the policy, the broken variant. Prints
 * {@code DONE <acknowledged increments>}.</li>
 * <li>{@code hold DATABASE NAME}: prints {@code SENDING}, enters the block, prints {@code ENTERED <token> <nanoTime>},
 * waits for {@code write VALUE} on stdin, stores VALUE under the key {@code order} inside the block (fenced by the
 * block's grant), leaves the block and prints {@code WROTE} or {@code REFUSED <exception class> <message>}. Before
 * that, each {@code put KEY VALUE} stores VALUE under KEY from inside the block (a {@code robustmemory:} store
 * carrying the block's headers, so fenced too) and prints {@code PUT} or {@code REFUSED ...}, staying in the
 * block.</li>
 * </ul>
 */
public final class LockPolicyChild {

    private static final String STAND_IN_TOKEN = "standInToken";

    public static void main(String[] args) throws Exception {
        String memory = args[1];
        String name = args[2];
        CamelContext context = new DefaultCamelContext();
        RobustMemoryConfiguration configuration = context.getComponent("robustmemory", RobustMemoryComponent.class)
                .getConfiguration();
        RobustMemoryLockPolicy policy;
        HikariDataSource pool = null;
        if (memory.startsWith("pg:")) {
            String[] pg = memory.split(":", 4); // pg, prefix, lease millis, JDBC URL (which has colons of its own)
            pool = pool(pg[3]);
            configuration.setBackend(RobustMemoryBackend.postgresql);
            configuration.setDataSource(pool);
            configuration.setTablePrefix(pg[1]);
            policy = new RobustMemoryLockPolicy(null, name);
            policy.setLease(pg[2] + "ms");
        } else {
            configuration.setDatabase(memory);
            policy = new RobustMemoryLockPolicy(memory, name);
        }
        policy.setLockTimeout("60s");
        context.getRegistry().bind("lock", policy);
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            switch (args[0]) {
                case "counter" -> counter(context, name, Integer.parseInt(args[3]), Long.parseLong(args[4]),
                        Path.of(args[5]), "locked".equals(args[6]), stdin);
                case "hold" -> hold(context, stdin);
                default -> throw new IllegalArgumentException(args[0]);
            }
        } finally {
            context.stop();
            if (pool != null) {
                pool.close();
            }
        }
    }

    private static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(10_000);
        config.setPoolName("lock-policy-child-" + ProcessHandle.current().pid());
        return new HikariDataSource(config);
    }

    private static void counter(CamelContext context, String name, int iterations, long holdMicros, Path history,
                                boolean locked, BufferedReader stdin) throws Exception {
        try (LockHistory.Recorder recorder = new LockHistory.Recorder(history)) {
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    RouteDefinition route = from("direct:increment");
                    (locked ? route.policy("lock") : route)
                            .process(exchange -> {
                                exchange.setProperty(STAND_IN_TOKEN, System.nanoTime());
                                recorder.record(LockHistory.Kind.ENTER, name, token(exchange));
                            })
                            .to("robustmemory:counter?operation=load")
                            .process(exchange -> {
                                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(holdMicros)); // the slow step
                                Object current = exchange.getMessage().getBody();
                                exchange.getMessage().setBody(current == null ? 1L
                                                              : Long.parseLong(current.toString()) + 1);
                            })
                            .to("robustmemory:counter?operation=store")
                            .process(exchange -> recorder.record(LockHistory.Kind.EXIT, name, token(exchange)))
                            .end();
                }
            });
            context.start();
            ProducerTemplate template = context.createProducerTemplate();
            System.out.println("READY");
            if (!"go".equals(stdin.readLine())) {
                return;
            }
            int acknowledged = 0;
            for (int i = 0; i < iterations; i++) {
                Exchange done = template.send("direct:increment", exchange -> { });
                if (done.getException() == null) {
                    acknowledged++;
                } else {
                    System.out.println("FAILED " + done.getException());
                }
            }
            System.out.println("DONE " + acknowledged);
        }
    }

    /** The block's token; without the policy a stand-in that grows from block to block, as the checker wants. */
    private static long token(Exchange exchange) {
        Long token = exchange.getMessage().getHeader(LOCK_TOKEN, Long.class);
        return token != null ? token : exchange.getProperty(STAND_IN_TOKEN, Long.class);
    }

    private static void hold(CamelContext context, BufferedReader stdin) throws Exception {
        ProducerTemplate puts = context.createProducerTemplate();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:hold")
                        .policy("lock")
                            .process(exchange -> {
                                System.out.println("ENTERED " + exchange.getMessage().getHeader(LOCK_TOKEN) + " "
                                                   + System.nanoTime());
                                String command;
                                do {
                                    command = stdin.readLine();
                                    if (command != null && command.startsWith("put ")) {
                                        put(puts, exchange, command.substring(4).split(" ", 2));
                                    }
                                } while (command != null && !command.startsWith("write "));
                                exchange.getMessage().setBody(command == null ? null : command.substring(6));
                            })
                            .setHeader(RobustMemoryConstants.KEY, constant("order"))
                            .to("robustmemory:unused")
                        .end();
            }
        });
        context.start();
        System.out.println("SENDING");
        Exchange done = context.createProducerTemplate().send("direct:hold", exchange -> { });
        System.out.println(done.getException() == null ? "WROTE"
                                                       : "REFUSED " + done.getException().getClass().getName() + " "
                                                         + done.getException().getMessage());
    }

    /** A store from inside the block, with the block's headers: fenced by its grant. */
    private static void put(ProducerTemplate puts, Exchange block, String[] keyAndValue) {
        Exchange done = puts.send("robustmemory:unused", exchange -> {
            exchange.getMessage().setHeader(LOCK_NAME, block.getMessage().getHeader(LOCK_NAME));
            exchange.getMessage().setHeader(LOCK_TOKEN, block.getMessage().getHeader(LOCK_TOKEN));
            exchange.getMessage().setHeader(RobustMemoryConstants.KEY, keyAndValue[0]);
            exchange.getMessage().setBody(keyAndValue[1]);
        });
        System.out.println(done.getException() == null ? "PUT"
                                                       : "REFUSED " + done.getException().getClass().getName() + " "
                                                         + done.getException().getMessage());
    }
}
