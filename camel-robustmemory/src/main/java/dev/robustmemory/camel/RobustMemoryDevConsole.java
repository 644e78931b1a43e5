package dev.robustmemory.camel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.camel.CamelContext;
import org.apache.camel.Component;
import org.apache.camel.spi.annotations.DevConsole;
import org.apache.camel.support.console.AbstractDevConsole;

/**
 * Camel's developer console for the memories in use: for each, what its {@link ManagedMemory JMX view} shows (files,
 * holder, waiters, lock timeout, statistics, last error), as text or as JSON ({@code {"memories": [...]}}). Found
 * by camel-console's registry through the generated {@code META-INF/services/org/apache/camel/dev-console/robustmemory}
 * file; without camel-console nothing loads it. Like the view, it never takes the lock.
 */
@DevConsole(name = RobustMemoryDevConsole.ID, displayName = RobustMemoryDevConsole.DISPLAY_NAME,
            description = RobustMemoryDevConsole.DESCRIPTION)
public class RobustMemoryDevConsole extends AbstractDevConsole {

    static final String ID = "robustmemory";
    static final String DISPLAY_NAME = "Robust Memory";
    static final String DESCRIPTION = "Lock holder, waiters, statistics and lock timeout of each robustmemory memory"
                                      + " in use";

    public RobustMemoryDevConsole() {
        super("camel", ID, DISPLAY_NAME, DESCRIPTION);
    }

    @Override
    protected String doCallText(Map<String, Object> options) {
        StringBuilder text = new StringBuilder();
        for (Map<String, Object> memory : memories()) {
            text.append("Memory: ").append(memory.get("database")).append('\n');
            memory.forEach((name, value) -> {
                if (!"database".equals(name)) {
                    text.append("    ").append(name).append(": ").append(asText(value)).append('\n');
                }
            });
            text.append('\n');
        }
        return text.toString();
    }

    @Override
    protected Map<String, Object> doCallJson(Map<String, Object> options) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("memories", memories());
        return root;
    }

    /** The facts of every memory in use by any robustmemory component of the context, in database order. */
    private List<Map<String, Object>> memories() {
        CamelContext context = getCamelContext();
        List<Map<String, Object>> memories = new ArrayList<>();
        for (String name : context.getComponentNames()) {
            Component component = context.hasComponent(name); // never creates one
            if (component instanceof RobustMemoryComponent robustMemory) {
                robustMemory.managedMemories().forEach(memory -> memories.add(memory.facts()));
            }
        }
        memories.sort((a, b) -> String.valueOf(a.get("database")).compareTo(String.valueOf(b.get("database"))));
        return memories;
    }

    private static String asText(Object value) {
        if (value instanceof Map<?, ?> nested) {
            return nested.entrySet().stream().map(entry -> entry.getKey() + "=" + entry.getValue())
                    .collect(Collectors.joining(", "));
        }
        return String.valueOf(value);
    }
}
