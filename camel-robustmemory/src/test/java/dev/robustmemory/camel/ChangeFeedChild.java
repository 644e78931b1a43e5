package dev.robustmemory.camel;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * A process consuming a memory's changes: {@code ChangeFeedChild DATABASE} prints {@code STARTED}, then
 * {@code GOT <revision> <key>} for each change of the keys {@code k/...}, resuming from the position at key
 * {@code feed-position}, until it is killed or its standard input closes.
 */
public final class ChangeFeedChild {

    public static void main(String[] args) throws Exception {
        String database = args[0];
        try (CamelContext context = new DefaultCamelContext()) {
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("robustmemory:feed?consumerType=changes&keyPrefix=k/&resumeKey=feed-position&delay=5"
                         + "&initialDelay=0&greedy=true&database=" + database)
                            .process(exchange -> System.out.println("GOT "
                                    + exchange.getIn().getHeader(RobustMemoryConstants.REVISION) + " "
                                    + exchange.getIn().getHeader(RobustMemoryConstants.KEY)));
                }
            });
            context.start();
            System.out.println("STARTED");
            while (System.in.read() >= 0) {
                // until the parent closes standard input, or kills this process
            }
        }
    }
}
