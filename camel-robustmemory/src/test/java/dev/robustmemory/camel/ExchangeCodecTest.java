package dev.robustmemory.camel;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.StoredValue;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.converter.stream.InputStreamCache;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exchanges through the codec and back, against Camel's real type converters (a started context). */
class ExchangeCodecTest {

    private static final String OWN_PROPERTY = "CamelOwnVersion";

    private static CamelContext camel;

    private final ExchangeCodec codec = new ExchangeCodec(4096, List.of(OWN_PROPERTY));

    @BeforeAll
    static void startCamel() {
        camel = new DefaultCamelContext();
        camel.start();
    }

    @AfterAll
    static void stopCamel() {
        camel.stop();
    }

    private static Exchange exchange(Object body) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setBody(body);
        return exchange;
    }

    private Exchange roundTrip(Exchange exchange) throws Exception {
        ExchangeCodec.Encoded encoded = codec.encode(exchange);
        assertEquals(List.of(), encoded.dropped());
        return codec.decode(camel, encoded.value());
    }

    /** Every supported value, as header, property and variable, comes back equal and of the same class. */
    @Test
    void valuesKeepTheirTypes() throws Exception {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("count", 3);
        nested.put("tags", List.of("a", "b"));
        nested.put("nothing", null);
        List<Object> mixed = new ArrayList<>(Arrays.asList("text", 7L, null, true, new BigDecimal("0.10")));
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("string", "héllo \"quoted\" \n");
        values.put("boolean", Boolean.FALSE);
        values.put("integer", Integer.MIN_VALUE);
        values.put("long", Long.MAX_VALUE);
        values.put("short", (short) -3);
        values.put("byte", (byte) 127);
        values.put("double", 0.1 + 0.2);
        values.put("nan", Double.NaN);
        values.put("float", 1.5f);
        values.put("bigInteger", new BigInteger("123456789012345678901234567890"));
        values.put("bigDecimal", new BigDecimal("1.50"));
        values.put("character", 'x');
        values.put("date", new Date(1764700000123L));
        values.put("instant", Instant.parse("2026-12-03T10:15:30.123456789Z"));
        values.put("list", mixed);
        values.put("map", nested);
        values.put("null", null);

        Exchange original = exchange("body");
        values.forEach((name, value) -> {
            original.getIn().setHeader(name, value);
            original.setProperty("p-" + name, value);
            original.setVariable("v-" + name, value);
        });
        original.getIn().setHeader("bytes", new byte[] {0, 1, -1});
        original.getExchangeExtension().setFromRouteId("orders");

        Exchange copy = roundTrip(original);

        assertEquals(original.getExchangeId(), copy.getExchangeId());
        assertEquals("orders", copy.getFromRouteId());
        assertEquals("body", copy.getIn().getBody());
        values.forEach((name, value) -> {
            assertSameValue(value, copy.getIn().getHeader(name), "header " + name);
            assertSameValue(value, copy.getProperty("p-" + name), "property " + name);
            assertSameValue(value, copy.getVariable("v-" + name), "variable " + name);
        });
        assertTrue(copy.getIn().getHeaders().containsKey("null"), "a null header stays a header");
        assertArrayEquals(new byte[] {0, 1, -1}, copy.getIn().getHeader("bytes", byte[].class));
    }

    /** Camel's StringAggregationStrategy keeps its result in a StringBuffer property, so the builders stay builders. */
    @Test
    void stringBuildersStayBuildersAndOtherCharSequencesBecomeStrings() throws Exception {
        Exchange original = exchange(CharBuffer.wrap("wrapped"));
        original.getIn().setHeader("builder", new StringBuilder("built"));
        original.setProperty("buffer", new StringBuffer("buffered"));

        Exchange copy = roundTrip(original);

        assertEquals("wrapped", copy.getIn().getBody());
        assertEquals("built", copy.getIn().getHeader("builder", StringBuilder.class).toString());
        assertEquals("buffered", copy.getProperty("buffer", StringBuffer.class).toString());
    }

    /** Camel's GroupedExchangeAggregationStrategy keeps the parts as a list of exchanges in a property. */
    @Test
    void exchangesInsideValuesAreStoredByTheSameRules() throws Exception {
        Exchange part = exchange(new byte[] {7, 8});
        part.getIn().setHeader("line", 3);
        part.getIn().setHeader("pojo", new Pojo());
        Exchange original = exchange("group");
        original.setProperty(Exchange.GROUPED_EXCHANGE, new ArrayList<>(List.of(part, exchange("second"))));

        ExchangeCodec.Encoded encoded = codec.encode(original);
        Exchange copy = codec.decode(camel, encoded.value());

        List<?> parts = copy.getProperty(Exchange.GROUPED_EXCHANGE, List.class);
        Exchange first = (Exchange) parts.get(0);
        assertEquals(part.getExchangeId(), first.getExchangeId());
        assertArrayEquals(new byte[] {7, 8}, (byte[]) first.getIn().getBody());
        assertEquals(3, first.getIn().getHeader("line"));
        assertEquals("second", ((Exchange) parts.get(1)).getIn().getBody());
        assertEquals(List.of("header pojo of exchange " + part.getExchangeId() + " in property "
                             + Exchange.GROUPED_EXCHANGE + " (" + Pojo.class.getName() + ")"), encoded.dropped());

        Exchange unstorablePart = exchange(new Pojo());
        original.setProperty(Exchange.GROUPED_EXCHANGE, List.of(unstorablePart));
        assertEquals(List.of("property " + Exchange.GROUPED_EXCHANGE + " ("
                             + List.of(unstorablePart).getClass().getName() + ")"), codec.encode(original).dropped(),
                "an exchange whose body cannot be stored is not stored at all");
    }

    private static void assertSameValue(Object expected, Object actual, String what) {
        assertEquals(expected, actual, what);
        if (expected != null) {
            assertEquals(expected.getClass(), actual.getClass(), what + " type");
        }
    }

    @Test
    void theAggregatorsPropertiesAreKept() throws Exception {
        Exchange original = exchange("a+b");
        original.setProperty(Exchange.AGGREGATED_SIZE, 2);
        original.setProperty(Exchange.AGGREGATED_CORRELATION_KEY, "order-1");
        original.setProperty(Exchange.AGGREGATED_TIMEOUT, 5000L);
        original.setProperty(Exchange.AGGREGATED_COMPLETED_BY, "size");

        Exchange copy = roundTrip(original);

        assertEquals(2, copy.getProperty(Exchange.AGGREGATED_SIZE));
        assertEquals("order-1", copy.getProperty(Exchange.AGGREGATED_CORRELATION_KEY));
        assertEquals(5000L, copy.getProperty(Exchange.AGGREGATED_TIMEOUT));
        assertEquals("size", copy.getProperty(Exchange.AGGREGATED_COMPLETED_BY));
    }

    @Test
    void theRepositorysOwnPropertyIsNotStored() throws Exception {
        Exchange original = exchange("x");
        original.setProperty(OWN_PROPERTY, 42L);

        assertNull(roundTrip(original).getProperty(OWN_PROPERTY));
    }

    @Test
    void bodiesOfTheSupportedTypesComeBack() throws Exception {
        assertEquals(List.of("a", "b", 3), roundTrip(exchange(List.of("a", "b", 3))).getIn().getBody());
        assertEquals(12, roundTrip(exchange(12)).getIn().getBody());
        assertNull(roundTrip(exchange(null)).getIn().getBody());
        assertEquals("read", roundTrip(exchange(new StringReader("read"))).getIn().getBody());
    }

    /** A binary body follows the JSON part as it is (not in base64), so a large aggregate costs its size. */
    @Test
    void binaryBodiesAreStoredAsTheirBytes() throws Exception {
        byte[] body = "raw\u0000bytes".getBytes(StandardCharsets.UTF_8);

        StoredValue stored = codec.encode(exchange(body)).value();

        byte[] tail = Arrays.copyOfRange(stored.bytes(), stored.bytes().length - body.length, stored.bytes().length);
        assertArrayEquals(body, tail);
        assertArrayEquals(body, (byte[]) codec.decode(camel, stored).getIn().getBody());
    }

    @Test
    void streamsAreReadToBytesAndAStreamCacheIsReset() throws Exception {
        byte[] content = {1, 2, 3, 4};
        assertArrayEquals(content,
                (byte[]) roundTrip(exchange(new ByteArrayInputStream(content))).getIn().getBody());

        InputStreamCache cache = new InputStreamCache(content);
        assertArrayEquals(content, (byte[]) roundTrip(exchange(cache)).getIn().getBody());
        assertArrayEquals(content, cache.readAllBytes(), "the rest of the route reads the stream cache whole");
    }

    @Test
    void aStreamOverTheLimitIsRefused() {
        Exchange huge = exchange(new ByteArrayInputStream(new byte[5000]));

        InvalidEntryException refused = assertThrows(InvalidEntryException.class, () -> codec.encode(huge));
        assertTrue(refused.getMessage().contains("maxValueSize"), refused.getMessage());
    }

    /** As Camel's DefaultExchangeHolder drops what it cannot serialise: dropped, named, the rest kept. */
    @Test
    void unsupportedHeadersPropertiesAndVariablesAreDroppedAndNamed() throws Exception {
        Exchange original = exchange("kept");
        original.getIn().setHeader("pojo", new Pojo());
        List<Object> listWithPojo = List.of("a", new Pojo());
        Map<Integer, String> mapWithNumberKeys = Map.of(1, "one");
        original.getIn().setHeader("listWithPojo", listWithPojo);
        original.getIn().setHeader("mapWithNumberKeys", mapWithNumberKeys);
        original.getIn().setHeader("fine", "yes");
        original.setProperty("caught", new IllegalStateException("boom"));
        original.setVariable("thread", Thread.currentThread());
        original.setException(new IllegalArgumentException("failed"));

        ExchangeCodec.Encoded encoded = codec.encode(original);
        Exchange copy = codec.decode(camel, encoded.value());

        assertEquals(List.of("header pojo (" + Pojo.class.getName() + ")",
                "header listWithPojo (" + listWithPojo.getClass().getName() + ")",
                "header mapWithNumberKeys (" + mapWithNumberKeys.getClass().getName() + ")",
                "property caught (java.lang.IllegalStateException)",
                "variable thread (java.lang.Thread)",
                "the exception java.lang.IllegalArgumentException"), encoded.dropped());
        assertEquals("yes", copy.getIn().getHeader("fine"));
        assertFalse(copy.getIn().getHeaders().containsKey("pojo"));
        assertNull(copy.getProperty("caught"));
        assertNull(copy.getException());
        assertEquals("kept", copy.getIn().getBody());
    }

    @Test
    void anUnsupportedBodyIsRefusedNamingItsType() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> codec.encode(exchange(new Pojo())));
        assertTrue(refused.getMessage().contains(Pojo.class.getName()), refused.getMessage());
        assertTrue(refused.getMessage().contains("accepted"), refused.getMessage());

        IllegalArgumentException nested = assertThrows(IllegalArgumentException.class,
                () -> codec.encode(exchange(List.of(new Pojo()))));
        assertTrue(nested.getMessage().contains(Pojo.class.getName()), nested.getMessage());
    }

    /** Java serialisation streams start with AC ED 00 05; no stored exchange contains them. */
    @Test
    void noJavaSerialisationIsEverStored() throws Exception {
        Exchange original = exchange(List.of("a", Map.of("k", 1L)));
        original.getIn().setHeader("date", new Date());
        original.getIn().setHeader("decimal", new BigDecimal("2.5"));
        original.setProperty("instant", Instant.now());
        original.setProperty("caught", new IllegalStateException("dropped, never serialised"));

        byte[] stored = codec.encode(original).value().bytes();

        assertEquals("RMEX", new String(stored, 0, 4, StandardCharsets.US_ASCII));
        for (int i = 0; i + 1 < stored.length; i++) {
            assertFalse(stored[i] == (byte) 0xAC && stored[i + 1] == (byte) 0xED, "Java serialisation at " + i);
        }
    }

    @Test
    void aValueThatIsNotAStoredExchangeIsRefusedClearly() {
        IllegalStateException text = assertThrows(IllegalStateException.class,
                () -> codec.decode(camel, StoredValue.text("hello")));
        assertTrue(text.getMessage().contains("not an exchange"), text.getMessage());
        IllegalStateException bytes = assertThrows(IllegalStateException.class,
                () -> codec.decode(camel, StoredValue.bytes(new byte[] {(byte) 0xAC, (byte) 0xED, 0, 5, 1, 2, 3, 4, 5})));
        assertTrue(bytes.getMessage().contains("not an exchange"), bytes.getMessage());
    }

    private static final class Pojo {
    }
}
