package dev.robustmemory.camel.springboot;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import dev.robustmemory.camel.RobustMemoryComponent;
import org.apache.camel.util.json.DeserializationException;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Spring Boot properties cannot drift from the component's options: the configuration metadata this module
 * generates ({@code META-INF/spring-configuration-metadata.json}) is read against the component's generated Camel
 * metadata ({@code robustmemory.json}), name by name, with type, default and description.
 */
class RobustMemoryComponentOptionsTest {

    private static final String PREFIX = "camel.component.robustmemory.";
    /** Properties of the starter itself, not component options. */
    private static final Set<String> STARTER_PROPERTIES = Set.of("enabled", "customizer.enabled",
            "idempotent-repository.enabled", "idempotent-repository.name");

    private static Map<String, JsonObject> componentOptions;
    private static Map<String, JsonObject> springProperties;

    @BeforeAll
    static void readBothMetadataFiles() throws Exception {
        JsonObject camel = parse(RobustMemoryComponent.class.getResourceAsStream(
                "/META-INF/dev/robustmemory/camel/robustmemory.json"));
        JsonObject options = camel.getMap("componentProperties");
        componentOptions = new TreeMap<>();
        options.forEach((name, option) -> componentOptions.put(kebab(name), (JsonObject) option));

        springProperties = new TreeMap<>();
        JsonArray properties = parse(Files.newInputStream(ownMetadataFile())).getCollection("properties");
        for (Object property : properties) {
            JsonObject json = (JsonObject) property;
            String name = json.getString("name");
            if (name.startsWith(PREFIX) && !STARTER_PROPERTIES.contains(name.substring(PREFIX.length()))) {
                springProperties.put(name.substring(PREFIX.length()), json);
            }
        }
    }

    @Test
    void everyComponentOptionIsAPropertyAndNothingElseIs() {
        assertThat(componentOptions).hasSizeGreaterThan(10);
        assertThat(springProperties.keySet()).isEqualTo(componentOptions.keySet());
    }

    @Test
    void everyPropertyIsDescribed() {
        Set<String> undescribed = new TreeSet<>();
        springProperties.forEach((name, property) -> {
            String description = property.getString("description");
            if (description == null || description.isBlank()) {
                undescribed.add(name);
            }
        });
        assertThat(undescribed).isEmpty();
    }

    @Test
    void typesMatchTheComponentOptions() {
        Map<String, String> expected = componentOptions.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, entry -> springType(entry.getValue()), (a, b) -> a, TreeMap::new));
        Map<String, String> actual = springProperties.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, entry -> entry.getValue().getString("type"), (a, b) -> a, TreeMap::new));
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void defaultsMatchTheComponentOptions() {
        Map<String, String> expected = new TreeMap<>();
        Map<String, String> actual = new TreeMap<>();
        componentOptions.forEach((name, option) -> expected.put(name, text(option.get("defaultValue"))));
        springProperties.forEach((name, property) -> actual.put(name, text(property.get("defaultValue"))));
        assertThat(actual).isEqualTo(expected);
    }

    /**
     * The type a property must have: the option's Java type, boxed; a duration stays text, which the component
     * parses strictly (Camel's converter would turn a typo into 0).
     */
    private static String springType(JsonObject option) {
        String javaType = option.getString("javaType");
        if ("duration".equals(option.getString("type"))) {
            return String.class.getName();
        }
        return switch (javaType) {
            case "boolean" -> Boolean.class.getName();
            case "int" -> Integer.class.getName();
            case "long" -> Long.class.getName();
            case "java.time.Duration" -> String.class.getName();
            default -> javaType;
        };
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private static String kebab(String camelCase) {
        return camelCase.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** This module's file, not one of the same name in another jar (Spring Boot's own, camel-spring-boot's). */
    private static Path ownMetadataFile() throws URISyntaxException {
        Path classes = Path.of(RobustMemoryComponentConfiguration.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI());
        return classes.resolve("META-INF/spring-configuration-metadata.json");
    }

    private static JsonObject parse(InputStream in) {
        try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return (JsonObject) Jsoner.deserialize(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (DeserializationException e) {
            throw new IllegalStateException(e);
        }
    }
}
