package dev.robustmemory.camel;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The README's option and header tables list exactly what the generated component JSON documents. */
class RobustMemoryReadmeTest {

    private static final Pattern FIRST_CELL = Pattern.compile("^\\| `([A-Za-z]+)` \\|");

    @Test
    void theOptionsTableListsEveryOptionOfTheComponentJson() throws Exception {
        JsonObject json = componentJson();
        Set<String> documented = names(json, "properties");
        documented.addAll(names(json, "componentProperties"));
        assertEquals(documented, namesInTable("options"));
    }

    @Test
    void theHeadersTableListsEveryHeaderOfTheComponentJson() throws Exception {
        assertEquals(names(componentJson(), "headers"), namesInTable("headers"));
    }

    private static Set<String> names(JsonObject json, String section) {
        return new TreeSet<>(((JsonObject) json.get(section)).keySet());
    }

    private static JsonObject componentJson() throws Exception {
        try (InputStream in = RobustMemoryReadmeTest.class.getResourceAsStream(
                "/META-INF/dev/robustmemory/camel/robustmemory.json")) {
            assertNotNull(in, "the generated component JSON is not on the class path");
            return (JsonObject) Jsoner.deserialize(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The first-column names of the README table between {@code <!-- name:begin -->} and {@code <!-- name:end -->}. */
    private static Set<String> namesInTable(String name) throws Exception {
        // Tests run in the module directory; the README is the repository's.
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        int begin = lines.indexOf("<!-- " + name + ":begin -->");
        int end = lines.indexOf("<!-- " + name + ":end -->");
        Set<String> names = new TreeSet<>();
        for (String line : lines.subList(begin + 1, end)) {
            Matcher cell = FIRST_CELL.matcher(line);
            if (cell.find()) {
                names.add(cell.group(1));
            }
        }
        return names;
    }
}
