package dev.robustmemory.camel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.VersionConflictException;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.EXPECTED_VERSION;
import static dev.robustmemory.camel.RobustMemoryConstants.EXPECTED_VERSIONS;
import static dev.robustmemory.camel.RobustMemoryConstants.FOUND;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_ACQUISITIONS;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSION;
import static dev.robustmemory.camel.RobustMemoryConstants.VERSIONS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batch operations and the atomic neighbours of store, through the producer. */
class RobustMemoryBatchOperationsTest extends RobustMemoryTestSupport {

    private static final String STORE_ALL = "robustmemory:batch?operation=storeAll";
    private static final String LOAD_ALL = "robustmemory:batch?operation=loadAll";
    private static final String DELETE_ALL = "robustmemory:batch?operation=deleteAll";

    private static Map<String, Object> orders() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("order-1", "shipped");
        values.put("order-2", 42);
        values.put("order-3", new byte[]{1, 2, 3});
        values.put("order-4", Map.of("total", 10));
        return values;
    }

    @Test
    void storeAllThenLoadAllGivesBackEveryValueWithItsKindAndVersion() {
        Exchange stored = call(STORE_ALL, orders());
        @SuppressWarnings("unchecked")
        Map<String, Long> written = stored.getMessage().getHeader(VERSIONS, Map.class);
        assertEquals(List.of("order-1", "order-2", "order-3", "order-4"), List.copyOf(written.keySet()));

        Exchange loaded = call(LOAD_ALL, List.of("order-4", "order-1", "missing", "order-3", "order-2"));

        Map<?, ?> values = loaded.getMessage().getBody(Map.class);
        assertEquals(List.of("order-4", "order-1", "order-3", "order-2"), List.copyOf(values.keySet()));
        assertEquals("shipped", values.get("order-1"));
        assertEquals(42L, values.get("order-2"));
        assertArrayEquals(new byte[]{1, 2, 3}, (byte[]) values.get("order-3"));
        assertEquals(10L, ((Map<?, ?>) values.get("order-4")).get("total"));
        assertEquals(written.get("order-1"), loaded.getMessage().getHeader(VERSIONS, Map.class).get("order-1"));
    }

    @Test
    void aBatchIsOneOperationInTheMetrics() {
        Exchange first = call(STORE_ALL, orders());
        Exchange second = call(LOAD_ALL, new String[]{"order-1", "order-2"});

        long before = first.getMessage().getHeader(LOCK_ACQUISITIONS, Long.class);
        assertEquals(before + 1, second.getMessage().getHeader(LOCK_ACQUISITIONS, Long.class));
    }

    @Test
    void aStoreAllWithAStaleVersionFailsWholeAndLeavesEveryKeyAsItWas() {
        call(STORE_ALL, Map.of("a", "old", "b", "old"));
        long aVersion = call("robustmemory:a?operation=load", null).getMessage().getHeader(VERSION, Long.class);

        VersionConflictException conflict = failure(VersionConflictException.class, STORE_ALL,
                Map.of("a", "new", "b", "new"), EXPECTED_VERSIONS, Map.of("a", aVersion, "b", 0L));

        assertEquals("b", conflict.key());
        assertEquals(Map.of("a", "old", "b", "old"), call(LOAD_ALL, List.of("a", "b")).getMessage().getBody());
    }

    @Test
    void deleteAllCountsTheKeysItDeleted() {
        call(STORE_ALL, orders());

        assertEquals(2L, call(DELETE_ALL, Set.of("order-1", "order-2", "missing")).getMessage().getBody());
        assertEquals(Set.of("order-3", "order-4"),
                call(LOAD_ALL, List.of("order-1", "order-2", "order-3", "order-4")).getMessage().getBody(Map.class)
                        .keySet());
    }

    @Test
    void getAndSetReturnsTheValueItReplaced() {
        Exchange first = call("robustmemory:config?operation=getAndSet", "v1");
        assertNull(first.getMessage().getBody());
        assertEquals(false, first.getMessage().getHeader(FOUND));

        Exchange second = call("robustmemory:config?operation=getAndSet", "v2");
        assertEquals("v1", second.getMessage().getBody());
        assertEquals(true, second.getMessage().getHeader(FOUND));
        assertTrue(second.getMessage().getHeader(VERSION, Long.class) > first.getMessage().getHeader(VERSION, Long.class));
        assertEquals("v2", call("robustmemory:config?operation=load", null).getMessage().getBody());
    }

    @Test
    void putIfAbsentKeepsTheFirstValueAndAnswersIt() {
        Exchange first = call("robustmemory:owner?operation=putIfAbsent", "node-a");
        Exchange second = call("robustmemory:owner?operation=putIfAbsent", "node-b");

        assertEquals(false, first.getMessage().getHeader(FOUND));
        assertEquals("node-a", first.getMessage().getBody());
        assertEquals(true, second.getMessage().getHeader(FOUND));
        assertEquals("node-a", second.getMessage().getBody(), "the value that won, not the one offered");
        assertEquals(first.getMessage().getHeader(VERSION), second.getMessage().getHeader(VERSION));
    }

    @Test
    void deleteWithAnExpectedVersionDeletesOnlyThatVersion() {
        long version = call("robustmemory:doomed", "x").getMessage().getHeader(VERSION, Long.class);

        failure(VersionConflictException.class, "robustmemory:doomed?operation=delete", null,
                EXPECTED_VERSION, version + 1);
        assertEquals(true, call("robustmemory:doomed?operation=delete", null, EXPECTED_VERSION, version)
                .getMessage().getBody());
        assertFalse(call("robustmemory:doomed?operation=exists", null).getMessage().getBody(Boolean.class));
    }

    @Test
    void badBatchBodiesAreRefusedClearly() {
        IllegalArgumentException notKeys = failure(IllegalArgumentException.class, LOAD_ALL, "a,b");
        assertTrue(notKeys.getMessage().contains("collection or array of keys"), notKeys.getMessage());
        IllegalArgumentException notMap = failure(IllegalArgumentException.class, STORE_ALL, List.of("a"));
        assertTrue(notMap.getMessage().contains("must be a Map"), notMap.getMessage());
        failure(InvalidEntryException.class, LOAD_ALL, List.of("fine", ""));
        IllegalArgumentException notText = failure(IllegalArgumentException.class, DELETE_ALL, List.of(1, 2));
        assertTrue(notText.getMessage().contains("must be texts"), notText.getMessage());
        IllegalArgumentException badVersion = failure(IllegalArgumentException.class, STORE_ALL, Map.of("a", "x"),
                EXPECTED_VERSIONS, Map.of("a", "seven"));
        assertTrue(badVersion.getMessage().contains("whole number"), badVersion.getMessage());
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i <= RobustMemoryProducer.MAX_BATCH_KEYS; i++) {
            tooMany.add("k" + i);
        }
        IllegalArgumentException overLimit = failure(IllegalArgumentException.class, LOAD_ALL, tooMany);
        assertTrue(overLimit.getMessage().contains("at most " + RobustMemoryProducer.MAX_BATCH_KEYS), overLimit.getMessage());
    }
}
