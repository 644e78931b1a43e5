package dev.robustmemory.camel;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.console.DevConsole;
import org.apache.camel.console.DevConsoleRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dev console, found by camel-console's registry as Camel's own are, and what it says as text and JSON. */
class RobustMemoryDevConsoleTest extends RobustMemoryTestSupport {

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        camelContext.setDevConsole(true);
        return camelContext;
    }

    private DevConsole console() {
        DevConsoleRegistry registry = DevConsoleRegistry.get(context);
        registry.loadDevConsoles();
        return registry.getConsole("robustmemory").orElseThrow(() -> new AssertionError(
                "no robustmemory console among " + registry.getConsoleIDs()));
    }

    @Test
    void theConsoleShowsEachMemoryInUseAsTextAndJson() throws Exception {
        Path second = dir.resolve("second.duckdb");
        call("robustmemory:k", "v");
        call("robustmemory:k?operation=load", null);
        call("robustmemory:k?database=" + second, "w");

        String text = (String) console().call(DevConsole.MediaType.TEXT);
        assertTrue(text.contains("Memory: " + database() + "\n"), text);
        assertTrue(text.contains("Memory: " + second + "\n"), text);
        assertTrue(text.contains("acquisitions=2"), text);
        assertTrue(text.contains("lockTimeout: each endpoint's lockTimeout"), text);

        Map<?, ?> json = assertInstanceOf(Map.class, console().call(DevConsole.MediaType.JSON));
        List<?> memories = assertInstanceOf(List.class, json.get("memories"));
        assertEquals(2, memories.size(), json::toString);
        Map<?, ?> first = (Map<?, ?>) memories.get(0);
        assertEquals(database().toString(), first.get("database"));
        assertEquals(database().toRealPath() + ".lock", first.get("lockFile"));
        assertEquals(2L, ((Map<?, ?>) first.get("statistics")).get("acquisitions"));
        assertEquals(ProcessHandle.current().pid(), ((Map<?, ?>) first.get("holder")).get("pid"));
        assertEquals(0, first.get("waiters"));
        assertEquals(second.toString(), ((Map<?, ?>) memories.get(1)).get("database"));
    }

    @Test
    void theConsoleSaysNothingBeforeAMemoryIsUsedAndAfterTheComponentStops() throws Exception {
        assertEquals("", console().call(DevConsole.MediaType.TEXT));
        call("robustmemory:k", "v");
        context.getComponent("robustmemory").stop();
        assertEquals(List.of(), ((Map<?, ?>) console().call(DevConsole.MediaType.JSON)).get("memories"));
    }
}
