package dev.robustmemory.camel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.robustmemory.duckdb.lock.LockHistory;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.RouteDefinition;

import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TOKEN;

/**
 * The other process of the lock policy's cross-process tests: Camel, with a route whose critical section is a
 * {@code .policy(...)} block of a robustmemory lock policy. Modes (all take the database and the lock name first):
 * <ul>
 * <li>{@code counter DATABASE NAME N HOLD_MICROS HISTORY locked|unlocked}: prints {@code READY}, waits for
 * {@code go}, then N times runs a read-modify-write of the key {@code counter} over three route steps (load, a slow
 * step of HOLD_MICROS, store the value plus one), inside the block when {@code locked}, recording ENTER and EXIT of the
 * block with its token in HISTORY; {@code unlocked} is the same route without the policy, the broken variant. Prints
 * {@code DONE <acknowledged increments>}.</li>
 * <li>{@code hold DATABASE NAME}: prints {@code SENDING}, enters the block, prints {@code ENTERED <token> <nanoTime>},
 * waits for {@code write VALUE} on stdin, stores VALUE under the key {@code order} inside the block (fenced by the
 * block's grant) and prints {@code WROTE} or {@code REFUSED <exception class>}.</li>
 * </ul>
 */
public final class LockPolicyChild {

    private static final String STAND_IN_TOKEN = "standInToken";

    public static void main(String[] args) throws Exception {
        String database = args[1];
        String name = args[2];
        CamelContext context = new DefaultCamelContext();
        context.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration().setDatabase(database);
        RobustMemoryLockPolicy policy = new RobustMemoryLockPolicy(database, name);
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
        }
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
}
