package dev.robustmemory.camel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.camel.util.json.DeserializationException;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's option and header tables against the component JSON that the Camel plugin generates from the code,
 * so that the documentation cannot drift from the code.
 *
 * <p>The tables are the Markdown table rows between {@code <!-- options:begin -->} and {@code <!-- options:end -->}
 * (several tables may stand there, e.g. one for consumer options) and between {@code <!-- headers:begin -->} and
 * {@code <!-- headers:end -->}; a row's first cell is the name in backticks. Checked: the same names on both sides;
 * for options, the default (an option without a default in the JSON may show an empty cell or a default computed
 * from another option, which starts with that option's name in angle brackets, like {@code <database>.lock}); for
 * headers, the Java type and the direction (In or Out as the JSON description begins, Event for headers that the
 * consumer sets); and a description on both sides. A failure lists every difference at once, with the row the
 * README should have.
 */
class ReadmeTablesTest {

    private static final Path MODULE = Path.of(System.getProperty("basedir", "."));
    private static final Path README = MODULE.resolve("../README.md");
    private static final Path COMPONENT_JSON
            = MODULE.resolve("src/generated/resources/META-INF/dev/robustmemory/camel/robustmemory.json");

    private static final Pattern DIRECTION_PREFIX = Pattern.compile("(?:producer )?(in|out)\\b",
            Pattern.CASE_INSENSITIVE);

    private static String readme;
    private static JsonObject component;

    @BeforeAll
    static void read() throws IOException, DeserializationException {
        readme = Files.readString(README, StandardCharsets.UTF_8);
        component = (JsonObject) Jsoner.deserialize(Files.readString(COMPONENT_JSON, StandardCharsets.UTF_8));
    }

    @Test
    void everyOptionIsDocumentedWithItsDefault() {
        Map<String, JsonObject> options = new LinkedHashMap<>();
        collect(component.getMap("properties"), options);
        // and the options that only the component has (configuration, meterRegistry, autowiredEnabled)
        collect(component.getMap("componentProperties"), options);

        Map<String, List<String>> rows = table("options");
        List<String> problems = new ArrayList<>();
        options.forEach((name, option) -> {
            List<String> row = rows.get(name);
            String jsonDefault = option.containsKey("defaultValue") ? String.valueOf(option.get("defaultValue")) : "";
            String expected = "| `" + name + "` | " + (jsonDefault.isEmpty() ? "" : "`" + jsonDefault + "`") + " | "
                              + option.getString("description") + " |";
            if (row == null) {
                problems.add("missing option " + name + "; add: " + expected);
                return;
            }
            String readmeDefault = unquote(cell(row, 1));
            boolean defaultMatches = jsonDefault.isEmpty()
                    ? readmeDefault.isEmpty() || readmeDefault.startsWith("<")
                    : readmeDefault.equals(jsonDefault);
            if (!defaultMatches) {
                problems.add("option " + name + " has default '" + readmeDefault + "' in the README but '"
                             + jsonDefault + "' in the component; expected: " + expected);
            }
            checkDescriptions("option " + name, option, cell(row, 2), problems);
        });
        unknownRows("option", rows, options, problems);
        assertTrue(problems.isEmpty(), () -> "README.md options table vs robustmemory.json:\n"
                                             + String.join("\n", problems));
    }

    @Test
    void everyHeaderIsDocumentedWithItsDirectionAndType() {
        Map<String, JsonObject> headers = new LinkedHashMap<>();
        collect(component.getMap("headers"), headers);

        Map<String, List<String>> rows = table("headers");
        List<String> problems = new ArrayList<>();
        headers.forEach((name, header) -> {
            List<String> row = rows.get(name);
            String description = header.getString("description");
            Set<String> directions = directions(header);
            String javaType = header.getString("javaType");
            String expected = "| `" + name + "` | " + String.join(", ", directions) + " | `" + javaType + "` | "
                              + description + " |";
            if (row == null) {
                problems.add("missing header " + name + "; add: " + expected);
                return;
            }
            if (!Set.of(cell(row, 1).split(",\\s*")).containsAll(directions)) {
                problems.add("header " + name + " has direction '" + cell(row, 1) + "' in the README, but the"
                             + " component says " + directions + "; expected: " + expected);
            }
            if (!javaType.equals(unquote(cell(row, 2)))) {
                problems.add("header " + name + " has type '" + unquote(cell(row, 2)) + "' in the README but '"
                             + javaType + "' in the component");
            }
            checkDescriptions("header " + name, header, cell(row, 3), problems);
        });
        unknownRows("header", rows, headers, problems);
        assertTrue(problems.isEmpty(), () -> "README.md headers table vs robustmemory.json:\n"
                                             + String.join("\n", problems));
    }

    @Test
    void tablesAreFoundAndMatchWhatTheComponentDeclares() {
        // guards the two tests above against passing on an empty table or an empty JSON section
        assertEquals(new TreeSet<>(component.getMap("headers").keySet()), new TreeSet<>(table("headers").keySet()));
        assertTrue(table("options").containsKey("lockTimeout"));
        assertTrue(component.getMap("properties").containsKey("lockTimeout"));
    }

    /**
     * In or Out, as the description starts ("In: ...", "Out (monitorLocks): ...", "Producer out: ..."), and Event
     * for a header that the consumer sets (label consumer, or no label: both).
     */
    private static Set<String> directions(JsonObject header) {
        Set<String> directions = new LinkedHashSet<>();
        Matcher prefix = DIRECTION_PREFIX.matcher(String.valueOf(header.get("description")));
        if (prefix.lookingAt()) {
            directions.add(prefix.group(1).equalsIgnoreCase("in") ? "In" : "Out");
        }
        String label = header.getStringOrDefault("label", "");
        if (label.isEmpty() || label.contains("consumer")) {
            directions.add("Event");
        }
        return directions;
    }

    @SuppressWarnings("unchecked")
    private static void collect(Map<?, ?> section, Map<String, JsonObject> into) {
        section.forEach((name, value) -> into.putIfAbsent((String) name, new JsonObject((Map<String, Object>) value)));
    }

    private static void checkDescriptions(String what, JsonObject json, String readmeDescription,
            List<String> problems) {
        String description = json.getString("description");
        if (description == null || description.isBlank()) {
            problems.add(what + " has no description in the component");
        }
        if (readmeDescription.isBlank()) {
            problems.add(what + " has no description in the README; the component says: " + description);
        }
    }

    private static void unknownRows(String what, Map<String, List<String>> rows, Map<String, JsonObject> declared,
            List<String> problems) {
        for (String name : rows.keySet()) {
            if (!declared.containsKey(name)) {
                problems.add("the README documents " + what + " " + name + ", which the component does not declare");
            }
        }
    }

    /** The rows between the markers, by the name in their first cell; each row as its trimmed cells. */
    private static Map<String, List<String>> table(String marker) {
        String begin = "<!-- " + marker + ":begin -->";
        String end = "<!-- " + marker + ":end -->";
        int from = readme.indexOf(begin);
        int to = readme.indexOf(end);
        assertTrue(from >= 0 && to > from, "README.md must contain " + begin + " ... " + end);
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : readme.substring(from + begin.length(), to).split("\n")) {
            List<String> cells = cells(line.trim());
            if (!cells.isEmpty() && cells.get(0).startsWith("`")) {
                List<String> earlier = rows.put(unquote(cells.get(0)), cells);
                assertEquals(null, earlier, () -> "README.md documents " + cells.get(0) + " twice");
            }
        }
        return rows;
    }

    /** The cells of a Markdown table row ({@code | a | b |}); {@code \|} is a pipe inside a cell. */
    private static List<String> cells(String line) {
        if (!line.startsWith("|") || !line.endsWith("|")) {
            return List.of();
        }
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        for (int i = 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length() && line.charAt(i + 1) == '|') {
                cell.append('|');
                i++;
            } else if (c == '|') {
                cells.add(cell.toString().trim());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        return cells;
    }

    private static String cell(List<String> row, int index) {
        return index < row.size() ? row.get(index) : "";
    }

    private static String unquote(String cell) {
        return cell.length() >= 2 && cell.startsWith("`") && cell.endsWith("`")
                ? cell.substring(1, cell.length() - 1) : cell;
    }
}
