package dev.robustmemory.crash;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A process of the crash torture test: several threads increment one key through the robustmemory producer as fast
 * as they can (so the lease runs batches of several increments, and a kill may land in the middle of one), each
 * printing {@code ACK <new value> <fencing token> <thread>} for every increment the producer acknowledged. It runs
 * until it is killed, or until told {@code stop} on stdin.
 */
public final class IncrementingChild {

    static final int THREADS = 3;

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
            Thread[] workers = new Thread[THREADS];
            for (int t = 0; t < THREADS; t++) {
                String name = "t" + t;
                workers[t] = new Thread(() -> {
                    while (!stop.get()) {
                        Exchange done = template.request(uri, e -> e.getMessage().setBody(1L));
                        if (done.getException() != null) {
                            System.out.println("ERROR " + done.getException());
                            continue;
                        }
                        System.out.println("ACK " + done.getMessage().getBody(Long.class) + " "
                                           + done.getMessage().getHeader("CamelRobustMemoryFencingToken", Long.class)
                                           + " " + name);
                    }
                });
                workers[t].start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
        }
        System.out.println("STOPPED");
    }
}
