package dev.robustmemory.camel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A process of {@link RobustMemoryAggregationProcessTest}: a Camel context whose aggregator (optimistic locking,
 * completion size from the arguments, recovery every 200 ms) keeps its groups in a robustmemory aggregation
 * repository. Prints {@code READY}, then reads commands from stdin:
 * <ul>
 * <li>{@code send <correlationKey> <body>}: sends one part, prints {@code SENT <body>} once the aggregator has it;</li>
 * <li>{@code burst <groups> <part>,<part>...}: sends the listed parts of groups {@code g0}..{@code g<groups-1>},
 * body {@code g<i>-p<part>}, group after group, then prints {@code BURST DONE}.</li>
 * </ul>
 * Every group it delivers is printed as {@code COMPLETED <correlationKey> <parts, comma-separated> redelivered=<b>
 * exchange=<exchangeId>}.
 * A group named in the blocking argument is printed and then held for ever, so that it is never confirmed (until
 * the test kills the process). Closing stdin stops the context and exits.
 *
 * <p>Arguments: database path, repository name, completion size, blocking correlation keys (comma-separated, or -).
 * On PostgreSQL the first argument is a JDBC URL ({@code jdbc:postgresql:...}, a {@link PGSimpleDataSource} of the
 * process's own) and a fifth names the table prefix.
 */
public final class AggregationChild {

    private AggregationChild() {
    }

    public static void main(String[] args) throws Exception {
        RobustMemoryAggregationRepository repository = new RobustMemoryAggregationRepository(args[0], args[1]);
        if (args[0].startsWith("jdbc:postgresql:")) {
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setURL(args[0]);
            repository.setBackend(RobustMemoryBackend.postgresql);
            repository.setDataSource(dataSource);
            repository.setTablePrefix(args[4]);
        }
        repository.setLockTimeout("60s");
        repository.setRecoveryInterval(200);
        int completionSize = Integer.parseInt(args[2]);
        Set<String> blocking = args[3].equals("-") ? Set.of() : Set.of(args[3].split(","));
        CountDownLatch never = new CountDownLatch(1);

        CamelContext camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:part")
                        .aggregate(header("id"), new PartsAggregationStrategy()).aggregationRepository(repository)
                        .optimisticLocking().completionSize(completionSize)
                        .process(exchange -> {
                            String key = exchange.getProperty(Exchange.AGGREGATED_CORRELATION_KEY, String.class);
                            boolean redelivered = exchange.getIn().getHeader(Exchange.REDELIVERED, false,
                                    Boolean.class);
                            List<?> parts = exchange.getIn().getBody(List.class);
                            System.out.println("COMPLETED " + key + " " + String.join(",",
                                    parts.stream().map(String::valueOf).toList()) + " redelivered=" + redelivered + " exchange=" + exchange.getExchangeId());
                            if (blocking.contains(key) && !redelivered) {
                                never.await();
                            }
                        });
            }
        });
        camel.start();
        ProducerTemplate template = camel.createProducerTemplate();
        System.out.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] words = line.split(" ");
            if (words[0].equals("send")) {
                template.sendBodyAndHeader("direct:part", words[2], "id", words[1]);
                System.out.println("SENT " + words[2]);
            } else if (words[0].equals("burst")) {
                int groups = Integer.parseInt(words[1]);
                for (int group = 0; group < groups; group++) {
                    for (String part : words[2].split(",")) {
                        template.sendBodyAndHeader("direct:part", "g" + group + "-p" + part, "id", "g" + group);
                    }
                }
                System.out.println("BURST DONE");
            } else {
                throw new IllegalArgumentException("Unknown command: " + line);
            }
        }
        camel.stop();
    }
}
