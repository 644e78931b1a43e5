package dev.robustmemory.camel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;
import org.apache.camel.CamelContext;
import org.apache.camel.component.file.GenericFile;
import org.apache.camel.converter.stream.InputStreamCache;
import org.apache.camel.converter.stream.ReaderCache;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.util.IOHelper;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bodies against Camel's real type converters (a started context), not a stand-in. */
class BodyCodecTest {

    private static CamelContext camel;

    private final BodyCodec codec = new BodyCodec(1024);

    @TempDir
    Path dir;

    @BeforeAll
    static void startCamel() {
        camel = new DefaultCamelContext();
        camel.start();
    }

    @AfterAll
    static void stopCamel() {
        camel.stop();
    }

    private StoredValue encode(Object body) throws IOException {
        return codec.encode(body, new DefaultExchange(camel));
    }

    @Test
    void textStaysText() throws Exception {
        StoredValue stored = encode("héllo");
        assertEquals(ValueKind.TEXT, stored.kind());
        assertEquals("héllo", codec.decode(stored));
    }

    @Test
    void bytesStreamsAndBuffersBecomeBytes() throws Exception {
        byte[] bytes = { 0, 1, 2, (byte) 255 };
        assertArrayEquals(bytes, (byte[]) codec.decode(encode(bytes)));
        assertArrayEquals(bytes, (byte[]) codec.decode(encode(new ByteArrayInputStream(bytes))));

        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.get(); // a buffer stores what remains, and is left where it was
        assertArrayEquals(new byte[] { 1, 2, (byte) 255 }, (byte[]) codec.decode(encode(buffer)));
        assertEquals(1, buffer.position());
    }

    @Test
    void charSequencesAndReadersBecomeText() throws Exception {
        StoredValue builder = encode(new StringBuilder("built ").append('é'));
        assertEquals(ValueKind.TEXT, builder.kind());
        assertEquals("built é", codec.decode(builder));
        StoredValue read = encode(new StringReader("read é"));
        assertEquals(ValueKind.TEXT, read.kind());
        assertEquals("read é", codec.decode(read));
        assertTrue(BodyCodec.isConsumedByReading(new StringReader("x")));
    }

    @Test
    void anEndlessStreamIsRefusedHavingReadOneByteBeyondTheLimit() {
        CountingEndlessStream endless = new CountingEndlessStream();
        InvalidEntryException e = assertThrows(InvalidEntryException.class, () -> encode(endless));
        assertTrue(e.getMessage().contains("maxValueSize"), e.getMessage());
        assertEquals(1025, endless.read);
    }

    @Test
    void anEndlessReaderIsRefusedHavingReadOneCharBeyondTheLimit() {
        AtomicLong read = new AtomicLong();
        Reader endless = new Reader() {
            @Override
            public int read(char[] buffer, int offset, int length) {
                Arrays.fill(buffer, offset, offset + length, 'x');
                read.addAndGet(length);
                return length;
            }

            @Override
            public void close() {
            }
        };
        assertThrows(InvalidEntryException.class, () -> encode(endless));
        assertEquals(1025, read.get());
    }

    @Test
    void textOfMultiByteCharsIsMeasuredInUtf8ByTheStore() throws Exception {
        // 1000 chars pass the reader's bound; their 2000 UTF-8 bytes are for the store's size check to refuse
        assertEquals(2000, encode(new StringReader("é".repeat(1000))).size());
    }

    @Test
    void filesAndPathsBecomeTheirExactBytes() throws Exception {
        byte[] latin1 = "café\n".getBytes(StandardCharsets.ISO_8859_1); // not valid UTF-8
        Path file = Files.write(dir.resolve("latin1.txt"), latin1);
        for (Object body : List.of(file, file.toFile())) {
            StoredValue stored = encode(body);
            assertEquals(ValueKind.BYTES, stored.kind());
            assertArrayEquals(latin1, stored.bytes());
        }
        assertThrows(InvalidEntryException.class, () -> encode(Files.write(dir.resolve("big"), new byte[1025])));
    }

    @Test
    void aGenericFileIsItsFilesBytesWhateverCharsetItNames() throws Exception {
        byte[] latin1 = "café".getBytes(StandardCharsets.ISO_8859_1);
        Path path = Files.write(dir.resolve("in.txt"), latin1);
        GenericFile<File> file = new GenericFile<>();
        file.setFile(path.toFile());
        file.setCharset("ISO-8859-1"); // Camel's own converter would re-encode the text to the JVM's default charset
        StoredValue stored = encode(file);
        assertEquals(ValueKind.BYTES, stored.kind());
        assertArrayEquals(latin1, stored.bytes());
    }

    @Test
    void aStreamCacheIsReadWholeAndResetForTheRestOfTheRoute() throws Exception {
        byte[] bytes = "cached".getBytes(StandardCharsets.UTF_8);
        InputStreamCache cache = new InputStreamCache(bytes);
        cache.read(); // an earlier step read some and did not reset
        assertFalse(BodyCodec.isConsumedByReading(cache));

        assertArrayEquals(bytes, encode(cache).bytes());
        assertArrayEquals(bytes, cache.readAllBytes(), "reset after the store");

        ReaderCache text = new ReaderCache("cached text");
        assertEquals("cached text", codec.decode(encode(text)));
        assertEquals("cached text", IOHelper.toString(text));
    }

    @Test
    void otherTypesWithACamelConverterToAStreamBecomeBytes() throws Exception {
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        written.write(new byte[] { 7, 8, 9 });
        StoredValue stored = encode(written);
        assertEquals(ValueKind.BYTES, stored.kind());
        assertArrayEquals(new byte[] { 7, 8, 9 }, stored.bytes());
    }

    @Test
    void jsonTypesComeBackAsJsonTypesWithWholeNumbersAsLong() throws Exception {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", "x");
        map.put("count", 3);
        map.put("ratio", 2.5);
        map.put("nested", List.of(1L, true, "s", Map.of("deep", 7)));
        map.put("nothing", null);

        Object back = codec.decode(encode(map));
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
        assertEquals(42L, codec.decode(encode(42)));
        assertEquals(42L, codec.decode(encode(42L)));
        assertEquals(new BigDecimal("1.5"), codec.decode(encode(1.5d)));
        assertEquals(new BigDecimal("3.0"), codec.decode(encode(3.0d)));
        assertEquals(Boolean.TRUE, codec.decode(encode(true)));
        StoredValue nullValue = encode(null);
        assertEquals(ValueKind.JSON, nullValue.kind());
        assertNull(codec.decode(nullValue));
        assertEquals(new BigDecimal("123456789012345678901234567890"),
                codec.decode(encode(new BigDecimal("123456789012345678901234567890"))));
    }

    @Test
    void otherTypesAreRefusedNamingTheAcceptedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> encode(new Object()));
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
        assertTrue(e.getMessage().contains(BodyCodec.ACCEPTED_TYPES), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> encode(Set.of("a")));
        assertThrows(IllegalArgumentException.class, () -> encode(new Pojo("only toString() converts me")));
        assertFalse(BodyCodec.isConsumedByReading(new Pojo("x")));
    }

    /** What only the type converter's toString() fallback could turn into text. */
    private record Pojo(String name) {
    }

    /** An endless stream, like a socket that never ends, counting what was read from it. */
    private static final class CountingEndlessStream extends InputStream {
        long read;

        @Override
        public int read() {
            read++;
            return 'x';
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            Arrays.fill(buffer, offset, offset + length, (byte) 'x');
            read += length;
            return length;
        }
    }

    @Test
    void jsonThatJsonCannotRepresentIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> encode(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> encode(Map.of(1, "non-string key")));
        assertThrows(IllegalArgumentException.class, () -> encode(List.of(new Object())));
        assertThrows(IllegalArgumentException.class, () -> encode(Map.of("bytes", "x".getBytes(StandardCharsets.UTF_8))));

        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        assertThrows(IllegalArgumentException.class, () -> encode(cycle));
        Map<String, Object> self = new HashMap<>();
        self.put("self", self);
        assertThrows(IllegalArgumentException.class, () -> encode(self));
    }
}
