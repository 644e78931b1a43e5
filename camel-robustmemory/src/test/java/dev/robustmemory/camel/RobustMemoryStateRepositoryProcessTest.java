package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;

import dev.robustmemory.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A state set in one JVM is read in another, and a set that returned survives kill -9 of its process. */
class RobustMemoryStateRepositoryProcessTest {

    private static final Duration PATIENCE = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void statesAreSharedBetweenProcessesAndSurviveKill9() throws Exception {
        String database = dir.resolve("state.duckdb").toString();
        RobustMemoryStateRepository here = new RobustMemoryStateRepository(database, "offsets");
        here.start();
        try (ChildJvm other = ChildJvm.start(dir.resolve("tmp"), StateChild.class, database, "offsets")) {
            other.awaitLine("READY", PATIENCE);

            here.setState("orders-0", "41");
            other.tell("get orders-0");
            assertEquals("STATE orders-0 41", other.awaitLine("STATE", PATIENCE));

            other.tell("set orders-1 7");
            other.awaitLine("SET orders-1", PATIENCE);
            other.kill9();

            assertEquals("7", here.getState("orders-1"), "set in the killed process before it died");
            assertEquals("41", here.getState("orders-0"));
        } finally {
            here.stop();
        }
    }
}
