package dev.robustmemory.camel;

import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * Runs a route to a memory in a JVM whose class path lacks camel-health (an optional dependency) and prints
 * {@code LOADED <body>} after a store and a load, then {@code REGISTRY <registry or null>}.
 */
public final class WithoutCamelHealthChild {

    public static void main(String[] args) throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration().setDatabase(args[0]);
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:remember").to("robustmemory:last");
                }
            });
            camel.start();
            ProducerTemplate template = camel.createProducerTemplate();
            template.sendBody("direct:remember", "stored without camel-health");
            System.out.println("LOADED " + template.requestBody("robustmemory:last?operation=load", (Object) null));
            System.out.println("REGISTRY " + HealthCheckRegistry.get(camel));
        }
    }
}
