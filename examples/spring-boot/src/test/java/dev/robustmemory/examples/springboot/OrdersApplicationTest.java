package dev.robustmemory.examples.springboot;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.apache.camel.ProducerTemplate;
import org.apache.camel.util.json.DeserializationException;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Starts the whole application on a random port, with its database in a temporary directory: the YAML routes count
 * the timer's five orders as three, a new order and a repeated one sent through the route count once, and
 * {@code /actuator/health} shows the memory's check UP with its details.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
// Closed after this class, before the temporary directory is deleted, rather than at the JVM's exit.
@DirtiesContext
class OrdersApplicationTest {

    @TempDir
    static Path directory;

    @LocalServerPort
    int port;

    @Autowired
    ProducerTemplate template;

    @DynamicPropertySource
    static void databaseInTheTemporaryDirectory(DynamicPropertyRegistry registry) {
        registry.add("camel.component.robustmemory.database", OrdersApplicationTest::database);
    }

    private static String database() {
        return directory.resolve("orders.duckdb").toString();
    }

    @Test
    void countsEachOrderOnceAndReportsTheMemoryHealthy() throws Exception {
        // the timer's orders: order-1, order-2, order-1, order-3, order-2
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(ordersSeen()).isEqualTo(3L));

        template.sendBodyAndHeader("direct:order", null, "orderId", "order-4");
        template.sendBodyAndHeader("direct:order", null, "orderId", "order-1");
        assertThat(ordersSeen()).isEqualTo(4L);

        JsonObject health = health();
        assertThat(health.getString("status")).isEqualTo("UP");
        JsonObject components = health.getMap("components");
        JsonObject camel = components.getMap("camelHealth");
        assertThat(camel.getString("status")).isEqualTo("UP");
        JsonObject details = camel.getMap("details");
        String check = "producer:robustmemory-" + database();
        assertThat(details.getString(check)).isEqualTo("UP");
        Map<String, Object> checkDetails = details.getMap(check + ".data");
        assertThat(checkDetails).containsEntry("database", database())
                .containsEntry("lock.file", database() + ".lock")
                .containsKey("lock.acquisitions");
    }

    private Long ordersSeen() {
        return template.requestBody("robustmemory:orders-seen?operation=load", null, Long.class);
    }

    private JsonObject health() throws IOException, InterruptedException, DeserializationException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return (JsonObject) Jsoner.deserialize(response.body());
    }
}
