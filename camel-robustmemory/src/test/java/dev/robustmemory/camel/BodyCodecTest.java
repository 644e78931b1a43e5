package dev.robustmemory.camel;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.robustmemory.store.StoredValue;
import dev.robustmemory.store.ValueKind;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BodyCodecTest {

    private final BodyCodec codec = new BodyCodec(1024);

    @Test
    void textStaysText() throws Exception {
        StoredValue stored = codec.encode("héllo");
        assertEquals(ValueKind.TEXT, stored.kind());
        assertEquals("héllo", codec.decode(stored));
    }

    @Test
    void bytesStreamsAndBuffersBecomeBytes() throws Exception {
        byte[] bytes = { 0, 1, 2, (byte) 255 };
        assertArrayEquals(bytes, (byte[]) codec.decode(codec.encode(bytes)));
        assertArrayEquals(bytes, (byte[]) codec.decode(codec.encode(new ByteArrayInputStream(bytes))));

        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.get(); // a buffer stores what remains, and is left where it was
        assertArrayEquals(new byte[] { 1, 2, (byte) 255 }, (byte[]) codec.decode(codec.encode(buffer)));
        assertEquals(1, buffer.position());
    }

    @Test
    void streamIsReadOnlyJustBeyondTheLimit() throws Exception {
        StoredValue stored = codec.encode(new ByteArrayInputStream(new byte[10_000]));
        assertEquals(1025, stored.size());
    }

    @Test
    void jsonTypesComeBackAsJsonTypesWithWholeNumbersAsLong() throws Exception {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", "x");
        map.put("count", 3);
        map.put("ratio", 2.5);
        map.put("nested", List.of(1L, true, "s", Map.of("deep", 7)));
        map.put("nothing", null);

        Object back = codec.decode(codec.encode(map));
        JsonObject object = assertInstanceOf(JsonObject.class, back);
        assertEquals("x", object.get("name"));
        assertEquals(3L, object.get("count"));
        assertEquals(new BigDecimal("2.5"), object.get("ratio"));
        JsonArray nested = assertInstanceOf(JsonArray.class, object.get("nested"));
        assertEquals(Arrays.asList(1L, true, "s", Map.of("deep", 7L)), nested);
        assertTrue(object.containsKey("nothing"));
        assertNull(object.get("nothing"));
    }

    @Test
    void scalarsAndNull() throws Exception {
        assertEquals(42L, codec.decode(codec.encode(42)));
        assertEquals(42L, codec.decode(codec.encode(42L)));
        assertEquals(new BigDecimal("1.5"), codec.decode(codec.encode(1.5d)));
        assertEquals(new BigDecimal("3.0"), codec.decode(codec.encode(3.0d)));
        assertEquals(Boolean.TRUE, codec.decode(codec.encode(true)));
        StoredValue nullValue = codec.encode(null);
        assertEquals(ValueKind.JSON, nullValue.kind());
        assertNull(codec.decode(nullValue));
        assertEquals(new BigDecimal("123456789012345678901234567890"),
                codec.decode(codec.encode(new BigDecimal("123456789012345678901234567890"))));
    }

    @Test
    void otherTypesAreRefusedNamingTheAcceptedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> codec.encode(new Object()));
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
        assertTrue(e.getMessage().contains(BodyCodec.ACCEPTED_TYPES), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> codec.encode(Set.of("a")));
        assertThrows(IllegalArgumentException.class, () -> codec.encode("x".toCharArray()));
    }

    @Test
    void jsonThatJsonCannotRepresentIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> codec.encode(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> codec.encode(Map.of(1, "non-string key")));
        assertThrows(IllegalArgumentException.class, () -> codec.encode(List.of(new Object())));
        assertThrows(IllegalArgumentException.class, () -> codec.encode(Map.of("bytes", "x".getBytes(StandardCharsets.UTF_8))));

        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        assertThrows(IllegalArgumentException.class, () -> codec.encode(cycle));
        Map<String, Object> self = new HashMap<>();
        self.put("self", self);
        assertThrows(IllegalArgumentException.class, () -> codec.encode(self));
    }
}
