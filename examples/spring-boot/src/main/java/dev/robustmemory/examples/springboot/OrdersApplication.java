package dev.robustmemory.examples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application whose route, {@code src/main/resources/camel/orders.yaml}, counts each order once.
 *
 * <p>Everything robustmemory is configured in {@code application.yaml}: the component's database
 * ({@code target/orders.duckdb}, with its lock file beside it), and the idempotent repository that the
 * camel-robustmemory-spring-boot-starter defines when asked ({@code idempotent-repository.enabled}). At start a timer
 * places five orders, two of them repeated: the route lets each order id through once, across restarts and across
 * every process that shares the database, and counts the new ones in the key {@code orders-seen}. The memory's health
 * check shows at {@code http://localhost:8080/actuator/health}, under Camel's {@code camelHealth}.
 *
 * <p>Run it from the repository root with {@code mvn -B -q -pl examples/spring-boot -am verify -DskipTests
 * -Prun-example}; it stops by itself after a minute. See this module's README for what to look for.
 */
@SpringBootApplication
public class OrdersApplication {

    public static void main(String[] args) {
        SpringApplication.run(OrdersApplication.class, args);
    }
}
