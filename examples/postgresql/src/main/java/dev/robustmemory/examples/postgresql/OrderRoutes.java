package dev.robustmemory.examples.postgresql;

import org.apache.camel.builder.RouteBuilder;

/**
 * The routes every host runs, unchanged from what they would be on the embedded DuckDB backend: only the component's
 * {@code backend} option (set by {@link PostgresqlApplication}) says the memory is in PostgreSQL.
 *
 * <p>An order may arrive at any host, and more than once: the idempotent consumer lets each order id through once
 * across all hosts, and the accepted orders are counted in one counter that every host increments.
 */
public class OrderRoutes extends RouteBuilder {

    public static final String ROUTE_ID = "orders";
    public static final String ACCEPTED_KEY = "orders-accepted";
    public static final String RUNS_KEY = "runs";

    private final String host;

    public OrderRoutes(String host) {
        this.host = host;
    }

    @Override
    public void configure() {
        from("direct:orders").routeId(ROUTE_ID)
                .idempotentConsumer(header("orderId")).idempotentRepository("seenOrders")
                    .setBody(constant(1))
                    .to("robustmemory:" + ACCEPTED_KEY + "?operation=increment").id("count-accepted")
                    .log("host " + host + " accepted ${header.orderId}: ${body} accepted in all (fencing token"
                         + " ${header.CamelRobustMemoryFencingToken})")
                .end();

        // Numbers the runs, so that each run sends order ids never seen before.
        from("direct:next-run").routeId("next-run")
                .setBody(constant(1))
                .to("robustmemory:" + RUNS_KEY + "?operation=increment");
    }
}
