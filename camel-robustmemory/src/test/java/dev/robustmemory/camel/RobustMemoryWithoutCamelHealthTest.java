package dev.robustmemory.camel;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;

import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** camel-health is optional: without it on the class path the component works and no health check class is loaded. */
class RobustMemoryWithoutCamelHealthTest {

    @TempDir
    Path dir;

    @Test
    void aRouteStoresAndLoadsWithoutCamelHealth() throws Exception {
        String classPath = System.getProperty("java.class.path");
        String withoutHealth = Arrays.stream(classPath.split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("camel-health-"))
                .collect(Collectors.joining(File.pathSeparator));
        assertNotEquals(classPath, withoutHealth, "camel-health is on the test class path, to be left out");

        try (ChildJvm child = ChildJvm.start(dir.resolve("tmp"), withoutHealth, WithoutCamelHealthChild.class,
                dir.resolve("memory.duckdb").toString())) {
            assertEquals("LOADED stored without camel-health", child.awaitLine("LOADED", Duration.ofSeconds(60)));
            assertEquals("REGISTRY null", child.awaitLine("REGISTRY", Duration.ofSeconds(10)));
            assertEquals(0, child.awaitExit(Duration.ofSeconds(30)), () -> String.join("\n", child.transcript()));
        }
    }
}
