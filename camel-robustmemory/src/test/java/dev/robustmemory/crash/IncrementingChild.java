package dev.robustmemory.crash;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A process of the crash torture test: increments one key through the robustmemory producer as fast as it can and
 * prints {@code ACK <new value> <fencing token>} for every increment the producer acknowledged. It runs until it is
 * killed, or until told {@code stop} on stdin.
 */
public final class IncrementingChild {

    public static void main(String[] args) throws Exception {
        String uri = "robustmemory:counter?operation=increment&lockTimeout=60s&database=" + args[0];
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            ProducerTemplate template = camel.createProducerTemplate();
            AtomicBoolean stop = new AtomicBoolean();
            Thread stopper = new Thread(() -> {
                try {
                    System.in.read(); // any input, or the end of input, means stop
                } catch (IOException ignored) {
                    // stdin unusable: stop as well
                }
                stop.set(true);
            });
            stopper.setDaemon(true);
            stopper.start();
            System.out.println("READY");
            while (!stop.get()) {
                Exchange done = template.request(uri, e -> e.getMessage().setBody(1L));
                if (done.getException() != null) {
                    System.out.println("ERROR " + done.getException());
                    continue;
                }
                System.out.println("ACK " + done.getMessage().getBody(Long.class) + " "
                                   + done.getMessage().getHeader("CamelRobustMemoryFencingToken", Long.class));
            }
        }
        System.out.println("STOPPED");
    }
}
