package dev.robustmemory.camel;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.apache.camel.CamelContext;
import org.apache.camel.CatalogCamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Metadata;
import org.apache.camel.util.json.DeserializationException;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generated metadata, read the way catalog tooling and IDE plugins read it: the component is discovered through
 * {@code META-INF/services/org/apache/camel/component.properties} on the classpath, its JSON comes from the Camel
 * context ({@code getComponentParameterJsonSchema}) and the idempotent repository's from its bean descriptor, all
 * parsed with camel-util-json. Each test names what a tool would show wrong.
 */
class RobustMemoryToolingMetadataTest {

    private static final String COMPONENT_PROPERTIES = "META-INF/services/org/apache/camel/component.properties";
    private static final List<Class<?>> BEANS = List.of(RobustMemoryIdempotentRepository.class,
            RobustMemoryAggregationRepository.class, RobustMemoryStateRepository.class);

    /**
     * Where each of the component's own options is used: producer for what only operations read, none (common) for
     * what producers and consumers both need, advanced for fine tuning of both. A consumer-only label on an option
     * the producer reads makes catalog validation report a correct producer URI as an error.
     */
    private static final Map<String, String> LABELS = Map.ofEntries(
            Map.entry("key", ""),
            Map.entry("backend", ""),
            Map.entry("dataSource", "postgresql"),
            Map.entry("tablePrefix", "postgresql"),
            Map.entry("database", ""),
            Map.entry("lockFile", ""),
            Map.entry("operation", "producer"),
            Map.entry("lockTimeout", "producer"),
            Map.entry("ttl", "producer"),
            Map.entry("consumerType", "consumer"),
            Map.entry("keyPrefix", "consumer"),
            Map.entry("includeValues", "consumer"),
            Map.entry("resumeKey", "consumer"),
            Map.entry("changeRetention", "consumer"),
            Map.entry("maxValueSize", "producer"),
            Map.entry("synchronous", "producer,advanced"),
            Map.entry("cleanupOrphaned", "advanced"),
            Map.entry("staleLockThreshold", "advanced"),
            Map.entry("lockDirectory", "advanced"),
            Map.entry("monitorLocks", "advanced"),
            Map.entry("allowNetworkFileSystem", "security"),
            Map.entry("filePermissions", "security"),
            Map.entry("configuration", "advanced"),
            Map.entry("meterRegistry", "advanced"));

    private static CamelContext context;
    private static JsonObject json;

    @BeforeAll
    static void readTheComponentJson() throws Exception {
        context = new DefaultCamelContext();
        json = parse(((CatalogCamelContext) context).getComponentParameterJsonSchema("robustmemory"));
    }

    @AfterAll
    static void stop() throws Exception {
        context.close();
    }

    @Test
    void theComponentIsDiscoverableThroughComponentProperties() throws IOException {
        List<String> found = new ArrayList<>();
        for (URL url : Collections.list(getClass().getClassLoader().getResources(COMPONENT_PROPERTIES))) {
            Properties properties = new Properties();
            try (InputStream in = url.openStream()) {
                properties.load(in);
            }
            if ("camel-robustmemory".equals(properties.getProperty("artifactId"))) {
                assertEquals("dev.robustmemory", properties.getProperty("groupId"));
                found.add(properties.getProperty("components"));
            }
        }
        assertEquals(List.of("robustmemory"), found,
                "exactly one " + COMPONENT_PROPERTIES + " of camel-robustmemory, naming the component");
    }

    @Test
    void theComponentIsAsynchronousAndFirstShippedWithCamel4_22() {
        JsonObject component = child(json, "component");
        assertEquals(Boolean.TRUE, component.get("async"), "the producer completes exchanges asynchronously");
        // Tools print firstVersion as "Since Camel x": the Camel version the component first shipped against.
        assertEquals("4.22.0", component.getString("firstVersion"));
        assertEquals("robustmemory:key", component.getString("syntax"));
    }

    @Test
    void durationOptionsAreTypedDuration() throws IOException, DeserializationException {
        for (String section : List.of("componentProperties", "properties")) {
            for (String option : List.of("lockTimeout", "ttl", "changeRetention", "staleLockThreshold")) {
                assertEquals("duration", option(section, option).getString("type"), section + "." + option);
            }
        }
        for (Class<?> bean : BEANS) {
            assertEquals("duration", child(beanProperties(bean), "lockTimeout").getString("type"),
                    bean.getSimpleName() + ".lockTimeout");
        }
    }

    @Test
    void everyOwnOptionIsLabelledWhereItIsUsed() {
        Map<String, String> actual = new TreeMap<>();
        Map<String, String> expected = new TreeMap<>();
        for (String section : List.of("componentProperties", "properties")) {
            child(json, section).forEach((name, value) -> {
                JsonObject option = new JsonObject(castMap(value));
                // Camel's own options (lazyStartProducer, bridgeErrorHandler, polling...) carry Camel's labels.
                if (option.containsKey("configurationClass") || LABELS.containsKey(name)) {
                    actual.put(section + "." + name, option.getStringOrDefault("label", ""));
                    expected.put(section + "." + name, LABELS.getOrDefault(name, "<no expected label>"));
                }
            });
        }
        assertEquals(expected, actual);
        assertTrue(actual.containsKey("componentProperties.configuration") && actual.containsKey("properties.key"));
    }

    /**
     * The generator reworks description text (it dropped a {@code +} once), so each description from an annotation
     * must come out exactly as written.
     */
    @Test
    void descriptionsFromAnnotationsSurviveGeneration() throws Exception {
        Map<String, String> expected = new LinkedHashMap<>();
        Map<String, String> actual = new LinkedHashMap<>();
        for (Field field : RobustMemoryConstants.class.getDeclaredFields()) {
            Metadata metadata = field.getAnnotation(Metadata.class);
            if (metadata != null && Modifier.isStatic(field.getModifiers())) {
                String header = (String) field.get(null);
                expected.put(header, metadata.description());
                actual.put(header, child(child(json, "headers"), header).getString("description"));
            }
        }
        collectFieldDescriptions(RobustMemoryComponent.class, child(json, "componentProperties"), expected, actual);
        for (Class<?> bean : BEANS) {
            collectFieldDescriptions(bean, beanProperties(bean), expected, actual);
        }
        assertEquals(expected, actual);
        assertTrue(expected.size() > 30, "headers, component and bean descriptions were all compared");
    }

    @Test
    void everyOptionAndHeaderHasADescription() {
        List<String> missing = new ArrayList<>();
        for (String section : List.of("componentProperties", "properties", "headers")) {
            child(json, section).forEach((name, value) -> {
                Object description = castMap(value).get("description");
                if (description == null || description.toString().isBlank()) {
                    missing.add(section + "." + name);
                }
            });
        }
        assertEquals(List.of(), missing);
    }

    private static void collectFieldDescriptions(Class<?> type, JsonObject properties, Map<String, String> expected,
            Map<String, String> actual) {
        for (Field field : type.getDeclaredFields()) {
            Metadata metadata = field.getAnnotation(Metadata.class);
            if (metadata != null && !Modifier.isStatic(field.getModifiers())) {
                String what = type.getSimpleName() + "." + field.getName();
                expected.put(what, metadata.description());
                JsonObject property = child(properties, field.getName());
                actual.put(what, property == null ? "<not in the JSON>" : property.getString("description"));
            }
        }
    }

    /** The properties of a bean in its generated JSON. */
    private static JsonObject beanProperties(Class<?> bean) throws IOException, DeserializationException {
        String name = "META-INF/services/org/apache/camel/bean/" + bean.getSimpleName() + ".json";
        return child(child(parse(resource(name)), "bean"), "properties");
    }

    private static JsonObject option(String section, String name) {
        JsonObject option = child(child(json, section), name);
        assertNotNull(option, section + "." + name + " missing from the component JSON");
        return option;
    }

    /** The nested object, or null; the parser gives every JSON object as a JsonObject. */
    private static JsonObject child(JsonObject parent, String key) {
        return parent.getMap(key);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = RobustMemoryToolingMetadataTest.class.getClassLoader().getResourceAsStream(name)) {
            assertNotNull(in, name + " not on the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static JsonObject parse(String text) throws DeserializationException {
        assertNotNull(text, "no JSON");
        return (JsonObject) Jsoner.deserialize(text);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object value) {
        return (Map<String, Object>) value;
    }
}
