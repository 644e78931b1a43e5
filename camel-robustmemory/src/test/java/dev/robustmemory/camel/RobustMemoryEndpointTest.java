package dev.robustmemory.camel;

import java.nio.file.Path;

import dev.robustmemory.memory.InvalidEntryException;
import org.apache.camel.CamelContext;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Options: defaults, overrides, and refusal of bad values when the endpoint is created. */
class RobustMemoryEndpointTest extends RobustMemoryTestSupport {

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            "lockTimeout, abc", "lockTimeout, -1s", "lockTimeout, 10x", "lockTimeout, 10S", "lockTimeout, -5",
            "staleLockThreshold, abc", "staleLockThreshold, -1s", "staleLockThreshold, 10x", "staleLockThreshold, 10S",
            "staleLockThreshold, 0", "maxValueSize, 0", "maxValueSize, -1", "filePermissions, r--------",
            "filePermissions, rw-rw-rwz", "filePermissions, rw", "operation, put", "database, :memory:" })
    void badOptionsFailEndpointCreationNamingOptionAndValue(String option, String value) {
        ResolveEndpointFailedException e = assertThrows(ResolveEndpointFailedException.class,
                () -> context.getEndpoint("robustmemory:k?" + option + "=" + value));
        // The top message repeats the URI, so look for the option and value in the cause's own words.
        String causes = causes(e.getCause());
        assertTrue(causes.contains(option) && causes.contains(value), causes);
    }

    @Test
    void lockFileMustNotBeTheDatabaseItself() {
        ResolveEndpointFailedException e = assertThrows(ResolveEndpointFailedException.class,
                () -> context.getEndpoint("robustmemory:k?lockFile=" + database()));
        assertTrue(e.getMessage().contains("lockFile"), e.getMessage());
    }

    @Test
    void endpointOptionsOverrideComponentDefaultsWithoutChangingThem() {
        RobustMemoryComponent component = context.getComponent("robustmemory", RobustMemoryComponent.class);
        component.getConfiguration().setLockTimeout("7s");
        component.getConfiguration().setMaxValueSize(1000);
        component.getConfiguration().setOperation(RobustMemoryOperation.load);

        RobustMemoryEndpoint defaults = context.getEndpoint("robustmemory:a", RobustMemoryEndpoint.class);
        RobustMemoryEndpoint overriding = context.getEndpoint("robustmemory:b?lockTimeout=3s&operation=exists",
                RobustMemoryEndpoint.class);

        assertEquals("7s", defaults.getConfiguration().getLockTimeout());
        assertEquals(RobustMemoryOperation.load, defaults.getConfiguration().getOperation());
        assertEquals("3s", overriding.getConfiguration().getLockTimeout());
        assertEquals(RobustMemoryOperation.exists, overriding.getConfiguration().getOperation());
        assertEquals(1000, overriding.getConfiguration().getMaxValueSize());
        assertEquals("7s", component.getConfiguration().getLockTimeout());
        assertEquals("b", overriding.getKey());

        call("robustmemory:a", "stored by default operation?", RobustMemoryConstants.OPERATION, "store");
        assertEquals("stored by default operation?", call("robustmemory:a", null).getMessage().getBody(),
                "the component's default operation (load) applies");
    }

    @Test
    void keylessUrisNeedNoKey() {
        call("robustmemory:k", "v");
        assertEquals(1L, call("robustmemory?operation=size", null).getMessage().getBody());
        assertEquals(1L, call("robustmemory:?operation=size", null).getMessage().getBody());
    }

    @Test
    void oneDatabaseCannotHaveTwoLockFiles() {
        context.getEndpoint("robustmemory:a");
        ResolveEndpointFailedException e = assertThrows(ResolveEndpointFailedException.class,
                () -> context.getEndpoint("robustmemory:b?lockFile=" + dir.resolve("other.lock")));
        assertTrue(e.getMessage().contains("lock file") && e.getMessage().contains("other.lock"), e.getMessage());

        // The same files spelled differently are the same database and lock file.
        Path spelledDifferently = dir.resolve("sub").resolve("..").resolve("memory.duckdb");
        context.getEndpoint("robustmemory:c?database=" + spelledDifferently + "&lockFile=" + database() + ".lock");
    }

    @Test
    void endpointsOfOneDatabaseMayHaveDifferentSizeLimits() {
        call("robustmemory:small?maxValueSize=4", "1234");
        failure(InvalidEntryException.class, "robustmemory:small?maxValueSize=4", "12345");
        call("robustmemory:large", "12345");
        assertEquals(2L, call("robustmemory:?operation=size", null).getMessage().getBody());
    }

    @Test
    void endpointsWithTheSameSettingsShareOneStore() throws Exception {
        RobustMemoryEndpoint one = context.getEndpoint("robustmemory:a", RobustMemoryEndpoint.class);
        RobustMemoryEndpoint two = context.getEndpoint("robustmemory:b?lockTimeout=1s", RobustMemoryEndpoint.class);
        assertSame(one.memory(), two.memory());
        assertNotSame(one.getConfiguration(), two.getConfiguration());
    }

    @Test
    void badComponentDefaultsFailTheComponentStart() throws Exception {
        try (CamelContext other = new DefaultCamelContext()) {
            other.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration().setLockTimeout("10x");
            Exception e = assertThrows(Exception.class, other::start);
            assertTrue(causes(e).contains("lockTimeout") && causes(e).contains("10x"), causes(e));
        }
    }

    @Test
    void theConsumerIsAScheduledPollConsumerWithCamelsPollingOptions() throws Exception {
        RobustMemoryEndpoint endpoint = context.getEndpoint(
                "robustmemory:events?delay=250&initialDelay=0&backoffMultiplier=3&backoffErrorThreshold=2",
                RobustMemoryEndpoint.class);
        RobustMemoryConsumer consumer = (RobustMemoryConsumer) endpoint.createConsumer(exchange -> { });

        assertEquals(250, consumer.getDelay());
        assertEquals(0, consumer.getInitialDelay());
        assertEquals(3, consumer.getBackoffMultiplier());
        assertEquals(2, consumer.getBackoffErrorThreshold());
    }

    private static String causes(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            text.append(t.getMessage()).append(" / ");
        }
        return text.toString();
    }
}
