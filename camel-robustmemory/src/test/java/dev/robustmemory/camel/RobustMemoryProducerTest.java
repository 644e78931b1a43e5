package dev.robustmemory.camel;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.NonNumericValueException;
import dev.robustmemory.memory.VersionConflictException;
import org.apache.camel.CamelExchangeException;
import org.apache.camel.Exchange;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.robustmemory.camel.RobustMemoryConstants.EXPECTED_VERSION;
import static dev.robustmemory.camel.RobustMemoryConstants.FENCING_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.FOUND;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static dev.robustmemory.camel.RobustMemoryConstants.KEY_PREFIX;
import static dev.robustmemory.camel.RobustMemoryConstants.OPERATION;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RobustMemoryProducerTest extends RobustMemoryTestSupport {

    private static final String STORE = "robustmemory:greeting";
    private static final String LOAD = "robustmemory:greeting?operation=load";

    static Stream<Arguments> valuesAndWhatComesBack() {
        byte[] bytes = { 0, 1, 2, (byte) 200 };
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", "ada");
        map.put("age", 36);
        map.put("tags", List.of("x", "y"));
        map.put("missing", null);
        Map<String, Object> mapBack = new LinkedHashMap<>(map);
        mapBack.put("age", 36L);
        return Stream.of(
                Arguments.of("String", "hello wörld", "hello wörld", String.class),
                Arguments.of("empty String", "", "", String.class),
                Arguments.of("byte[]", bytes, bytes, byte[].class),
                Arguments.of("InputStream", new ByteArrayInputStream(bytes), bytes, byte[].class),
                Arguments.of("ByteBuffer", ByteBuffer.wrap(bytes), bytes, byte[].class),
                Arguments.of("Map", map, mapBack, JsonObject.class),
                Arguments.of("List", Arrays.asList(1, "two", 3.5, false, null),
                        Arrays.asList(1L, "two", new BigDecimal("3.5"), false, null), JsonArray.class),
                Arguments.of("Long", 9_000_000_000L, 9_000_000_000L, Long.class),
                Arguments.of("Integer", 42, 42L, Long.class),
                Arguments.of("Double", 2.25d, new BigDecimal("2.25"), BigDecimal.class),
                Arguments.of("Boolean", true, true, Boolean.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesAndWhatComesBack")
    void valuesKeepTheirKind(String kind, Object stored, Object expected, Class<?> expectedType) {
        call(STORE, stored);
        Exchange loaded = call(LOAD, "ignored");

        Object body = loaded.getMessage().getBody();
        assertEquals(true, headers(loaded).get(FOUND));
        assertEquals(expectedType, body.getClass());
        if (expected instanceof byte[] bytes) {
            assertArrayEquals(bytes, (byte[]) body);
        } else {
            assertEquals(expected, body);
        }
    }

    @Test
    void storedNullIsFoundWithNullBodyAndMissingKeyIsNotFound() {
        Exchange missing = call(LOAD, "ignored");
        assertEquals(false, headers(missing).get(FOUND));
        assertEquals(0L, headers(missing).get(VERSION));
        assertNull(missing.getMessage().getBody());

        call(STORE, null);
        Exchange loaded = call(LOAD, "ignored");
        assertEquals(true, headers(loaded).get(FOUND));
        assertEquals(1L, headers(loaded).get(VERSION));
        assertNull(loaded.getMessage().getBody());
    }

    @Test
    void storeKeepsTheBodyAndReportsVersionAndFencingToken() {
        Exchange first = call(STORE, "v1");
        Exchange second = call(STORE, "v2");

        assertEquals("v1", first.getMessage().getBody());
        assertEquals(1L, headers(first).get(VERSION));
        assertEquals(2L, headers(second).get(VERSION));
        long firstToken = (Long) headers(first).get(FENCING_TOKEN);
        assertTrue(firstToken > 0);
        assertTrue((Long) headers(second).get(FENCING_TOKEN) >= firstToken, "one lease may serve both stores");
        assertEquals("v2", call(LOAD, null).getMessage().getBody());
    }

    @Test
    void storingAStreamLeavesTheBytesInTheBody() {
        byte[] bytes = "streamed".getBytes(StandardCharsets.UTF_8);
        Exchange stored = call(STORE, new ByteArrayInputStream(bytes));
        assertArrayEquals(bytes, stored.getMessage().getBody(byte[].class));
    }

    @Test
    void keyHeaderOverridesTheUriKey() {
        call(STORE, "from header", KEY, "other");
        assertEquals(false, headers(call(LOAD, null)).get(FOUND));
        assertEquals("from header", call(LOAD, null, KEY, "other").getMessage().getBody());
    }

    @Test
    void operationHeaderOverridesTheOptionAndAcceptsTheEnum() {
        call(STORE, "x");
        assertEquals("x", call(STORE, "ignored", OPERATION, "load").getMessage().getBody());
        assertEquals(true, call(STORE, "ignored", OPERATION, RobustMemoryOperation.exists).getMessage().getBody());
        assertEquals("x", call(LOAD, null).getMessage().getBody(), "the loads above must not have stored");
    }

    @Test
    void existsAndDelete() {
        String exists = "robustmemory:greeting?operation=exists";
        String delete = "robustmemory:greeting?operation=delete";
        assertEquals(false, call(exists, null).getMessage().getBody());
        call(STORE, "x");
        assertEquals(true, call(exists, null).getMessage().getBody());

        Exchange deleted = call(delete, null);
        assertEquals(true, deleted.getMessage().getBody());
        assertInstanceOf(Long.class, headers(deleted).get(FENCING_TOKEN));
        assertEquals(false, call(delete, null).getMessage().getBody());
        assertEquals(false, call(exists, null).getMessage().getBody());
    }

    @Test
    void keysAreSortedAndPrefixesAreLiteral() {
        List<String> keys = List.of("b", "a%b", "a_b", "a\\b", "axb", "ab", "a%");
        for (String key : keys) {
            call(STORE, "v", KEY, key);
        }
        String list = "robustmemory:?operation=keys";
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(null);
        assertEquals(sorted, call(list, null).getMessage().getBody());
        assertEquals(List.of("a%", "a%b"), call(list, null, KEY_PREFIX, "a%").getMessage().getBody());
        assertEquals(List.of("a_b"), call(list, null, KEY_PREFIX, "a_").getMessage().getBody());
        assertEquals(List.of("a\\b"), call(list, null, KEY_PREFIX, "a\\").getMessage().getBody());
        assertEquals(List.of(), call(list, null, KEY_PREFIX, "zz").getMessage().getBody());
    }

    @Test
    void clearByPrefixThenAllAndSize() {
        for (String key : List.of("user:1", "user:2", "user_3", "order:1")) {
            call(STORE, "v", KEY, key);
        }
        assertEquals(4L, call("robustmemory:?operation=size", null).getMessage().getBody());

        Exchange cleared = call("robustmemory:?operation=clear", null, KEY_PREFIX, "user:");
        assertEquals(2L, cleared.getMessage().getBody());
        assertInstanceOf(Long.class, headers(cleared).get(FENCING_TOKEN));
        assertEquals(List.of("order:1", "user_3"), call("robustmemory:?operation=keys", null).getMessage().getBody());

        assertEquals(2L, call("robustmemory:?operation=clear", null).getMessage().getBody());
        assertEquals(0L, call("robustmemory:?operation=size", null).getMessage().getBody());
    }

    @Test
    void incrementAddsNumbersAndNumericTextReturningLong() {
        String increment = "robustmemory:counter?operation=increment";
        Exchange first = call(increment, null);
        assertEquals(1L, first.getMessage().getBody());
        assertEquals(1L, headers(first).get(VERSION));
        assertInstanceOf(Long.class, headers(first).get(FENCING_TOKEN));
        assertEquals(6L, call(increment, 5).getMessage().getBody());
        assertEquals(16L, call(increment, "10").getMessage().getBody());
        Exchange last = call(increment, -20L);
        assertEquals(-4L, last.getMessage().getBody());
        assertEquals(4L, headers(last).get(VERSION));
        assertEquals(-4L, call("robustmemory:counter?operation=load", null).getMessage().getBody());
    }

    @Test
    void concurrentIncrementsThroughSeveralEndpointsLoseNothing() throws Exception {
        int threads = 4;
        int incrementsEach = 10;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                // Different URIs, hence different endpoints and producers, on one database.
                String uri = "robustmemory:counter?operation=increment&lockTimeout=" + (20 + t) + "s";
                workers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < incrementsEach; i++) {
                        call(uri, null);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> worker : workers) {
                worker.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        Exchange loaded = call("robustmemory:counter?operation=load", null);
        assertEquals((long) threads * incrementsEach, loaded.getMessage().getBody());
        assertEquals((long) threads * incrementsEach, headers(loaded).get(VERSION));
    }

    @Test
    void incrementOfANonNumericValueFailsAndLeavesItUnchanged() {
        call(STORE, "not a number");
        failure(NonNumericValueException.class, "robustmemory:greeting?operation=increment", 1);
        Exchange loaded = call(LOAD, null);
        assertEquals("not a number", loaded.getMessage().getBody());
        assertEquals(1L, headers(loaded).get(VERSION));
    }

    @Test
    void incrementRefusesANonIntegerBody() {
        String increment = "robustmemory:counter?operation=increment";
        assertTrue(failure(IllegalArgumentException.class, increment, "abc").getMessage().contains("'abc'"));
        failure(IllegalArgumentException.class, increment, 1.5d);
        failure(IllegalArgumentException.class, increment, new Object());
        assertEquals(false, headers(call("robustmemory:counter?operation=load", null)).get(FOUND));
    }

    @Test
    void compareAndSetWritesOnlyTheExpectedVersion() {
        assertEquals(1L, headers(call(STORE, "first", EXPECTED_VERSION, 0L)).get(VERSION));
        assertEquals(2L, headers(call(STORE, "second", EXPECTED_VERSION, 1)).get(VERSION));

        VersionConflictException conflict = failure(VersionConflictException.class, STORE, "lost", EXPECTED_VERSION, 1L);
        assertEquals(2L, conflict.currentVersion());
        assertEquals(1L, conflict.expectedVersion());
        VersionConflictException mustNotExist = failure(VersionConflictException.class, STORE, "lost",
                EXPECTED_VERSION, "0");
        assertEquals(2L, mustNotExist.currentVersion());

        Exchange loaded = call(LOAD, null);
        assertEquals("second", loaded.getMessage().getBody());
        assertEquals(2L, headers(loaded).get(VERSION));
        failure(IllegalArgumentException.class, STORE, "x", EXPECTED_VERSION, -1L);
    }

    @Test
    void unsupportedBodyIsRefusedNamingTheAcceptedTypes() {
        IllegalArgumentException e = failure(IllegalArgumentException.class, STORE, new Object());
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
        assertTrue(e.getMessage().contains(BodyCodec.ACCEPTED_TYPES), e.getMessage());
        assertEquals(false, headers(call(LOAD, null)).get(FOUND));
    }

    @Test
    void badKeysAreRefused() {
        failure(InvalidEntryException.class, STORE, "x", KEY, "");
        failure(InvalidEntryException.class, STORE, "x", KEY, "k".repeat(DuckDbMemory.MAX_KEY_LENGTH + 1));
        call(STORE, "x", KEY, "k".repeat(DuckDbMemory.MAX_KEY_LENGTH));

        CamelExchangeException missing = failure(CamelExchangeException.class, "robustmemory:?operation=store", "x");
        assertTrue(missing.getMessage().contains(KEY), missing.getMessage());
        assertEquals(1L, call("robustmemory:?operation=size", null).getMessage().getBody());
    }

    @Test
    void unknownOperationHeaderIsRefusedNotIgnored() {
        IllegalArgumentException e = failure(IllegalArgumentException.class, STORE, "x", OPERATION, "put");
        assertTrue(e.getMessage().contains("'put'") && e.getMessage().contains(RobustMemoryOperation.names()),
                e.getMessage());
        failure(IllegalArgumentException.class, STORE, "x", OPERATION, "STORE");
        assertEquals(false, headers(call(LOAD, null)).get(FOUND));
    }
}
