package dev.robustmemory.camel;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import dev.robustmemory.store.StoredValue;
import org.apache.camel.util.json.DeserializationException;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;

/**
 * Turns message bodies into stored values and back, so that a value comes back as the kind it was given:
 * <ul>
 * <li>{@code String} is stored as text and comes back as {@code String};</li>
 * <li>{@code byte[]}, {@code InputStream} and {@code ByteBuffer} are stored as bytes and come back as
 * {@code byte[]};</li>
 * <li>{@code Map} (with String keys), {@code List}, {@code Number}, {@code Boolean} and null are stored as JSON and
 * come back as JSON types: {@link JsonObject} (a Map), {@link JsonArray} (a List), Boolean, null; whole numbers that
 * fit a long come back as {@code Long}, every other number as {@code BigDecimal} (so Integer 5 comes back as Long 5,
 * Double 2.5 as BigDecimal 2.5). Values nested in maps and lists follow the same rules.</li>
 * </ul>
 * Anything else is refused with an error naming the accepted types; Java serialisation is never used.
 */
final class BodyCodec {

    static final String ACCEPTED_TYPES = "String, byte[], InputStream, ByteBuffer, Map (String keys), List, Number,"
                                         + " Boolean or null";
    /** Deeper nesting is refused rather than risking a stack overflow on a self-referencing map or list. */
    private static final int MAX_JSON_DEPTH = 512;

    private final long maxValueSize;

    /** @param maxValueSize how many bytes of a stream to read at most, plus one so that oversize is detectable */
    BodyCodec(long maxValueSize) {
        this.maxValueSize = maxValueSize;
    }

    /**
     * The stored form of a body. A stream is read up to one byte beyond the size limit, so that a too large stream is
     * refused by the size check without being read to its end.
     *
     * @throws IllegalArgumentException for a body of another type, or JSON content that JSON cannot represent
     */
    StoredValue encode(Object body) throws IOException {
        if (body instanceof String text) {
            return StoredValue.text(text);
        }
        if (body instanceof byte[] bytes) {
            return StoredValue.bytes(bytes);
        }
        if (body instanceof ByteBuffer buffer) {
            // duplicate(): reading must not move the caller's buffer position
            ByteBuffer view = buffer.duplicate();
            byte[] bytes = new byte[view.remaining()];
            view.get(bytes);
            return StoredValue.bytes(bytes);
        }
        if (body instanceof InputStream stream) {
            return StoredValue.bytes(stream.readNBytes((int) Math.min(maxValueSize + 1, Integer.MAX_VALUE - 8)));
        }
        if (body == null || body instanceof Map || body instanceof List || body instanceof Number
                || body instanceof Boolean) {
            checkJson(body, "body", 0);
            return StoredValue.json(Jsoner.serialize(body));
        }
        throw new IllegalArgumentException("Cannot store a body of type " + body.getClass().getName()
                                           + "; accepted: " + ACCEPTED_TYPES + " (convert the body first)");
    }

    /** The body for a stored value, of the kind it was stored as. */
    Object decode(StoredValue value) {
        return switch (value.kind()) {
            case TEXT -> value.text();
            case BYTES -> value.bytes();
            case JSON -> wholeNumbersAsLong(parseJson(value.text()));
        };
    }

    private static Object parseJson(String json) {
        try {
            return Jsoner.deserialize(json);
        } catch (DeserializationException e) {
            throw new IllegalStateException("The stored JSON value cannot be read: " + e.getMessage(), e);
        }
    }

    /** Jsoner reads every number as BigDecimal; integers are far more useful (and expected) as Long. */
    private static Object wholeNumbersAsLong(Object json) {
        if (json instanceof BigDecimal number && number.scale() == 0 && number.unscaledValue().bitLength() < Long.SIZE) {
            return number.longValueExact();
        }
        if (json instanceof JsonObject object) {
            object.replaceAll((name, member) -> wholeNumbersAsLong(member));
        } else if (json instanceof JsonArray array) {
            array.replaceAll(BodyCodec::wholeNumbersAsLong);
        }
        return json;
    }

    /**
     * Refuses what Jsoner would write as invalid or surprising JSON: non-String map keys, NaN and infinities (written
     * as null), enums (written as their class name), arrays and other objects nested in the value.
     */
    private static void checkJson(Object value, String path, int depth) {
        if (depth > MAX_JSON_DEPTH) {
            throw new IllegalArgumentException("Cannot store the body as JSON: nested deeper than " + MAX_JSON_DEPTH
                                               + " levels at " + path);
        }
        if (value == null || value instanceof String || value instanceof Boolean) {
            return;
        }
        if (value instanceof Double number && !Double.isFinite(number)
                || value instanceof Float decimal && !Float.isFinite(decimal)) {
            throw new IllegalArgumentException("Cannot store the body as JSON: " + path + " is " + value
                                               + ", which JSON cannot represent");
        }
        if (value instanceof Number) {
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String name)) {
                    throw new IllegalArgumentException("Cannot store the body as JSON: map keys must be Strings, "
                                                       + path + " has key " + entry.getKey());
                }
                checkJson(entry.getValue(), path + "." + name, depth + 1);
            }
            return;
        }
        if (value instanceof List<?> list) {
            int index = 0;
            for (Object element : list) {
                checkJson(element, path + "[" + index++ + "]", depth + 1);
            }
            return;
        }
        throw new IllegalArgumentException("Cannot store the body as JSON: " + path + " has type "
                                           + value.getClass().getName() + "; inside a Map or List only Map, List,"
                                           + " String, Number, Boolean and null are accepted");
    }
}
