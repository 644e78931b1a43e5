package dev.robustmemory.camel;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.StoredValue;
import org.apache.camel.Exchange;
import org.apache.camel.NoTypeConversionAvailableException;
import org.apache.camel.StreamCache;
import org.apache.camel.TypeConverter;
import org.apache.camel.WrappedFile;
import org.apache.camel.util.json.DeserializationException;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;

/**
 * Turns message bodies into stored values and back, so that a value comes back as the kind it was given:
 * <ul>
 * <li>text: {@code String} and every other {@code CharSequence} ({@code StringBuilder}, ...) and {@code Reader}
 * come back as {@code String};</li>
 * <li>bytes: {@code byte[]}, {@code ByteBuffer}, {@code InputStream}, files ({@code File}, {@code Path}, Camel's
 * {@code GenericFile} from {@code file:} and other file components) and any other body that Camel's type converters
 * turn into an {@code InputStream} (an XML document, a remote file, ...) come back as {@code byte[]}. A file is
 * stored as it is on disk, whatever charset the endpoint or exchange names;</li>
 * <li>JSON: {@code Map} (with String keys), {@code List}, {@code Number}, {@code Boolean} and null come back as JSON
 * types: {@link JsonObject} (a Map), {@link JsonArray} (a List), Boolean, null; whole numbers that fit a long come
 * back as {@code Long}, every other number as {@code BigDecimal} (so Integer 5 comes back as Long 5, Double 2.5 as
 * BigDecimal 2.5). Values nested in maps and lists follow the same rules.</li>
 * </ul>
 * A stream cache is reset before and after it is read, so the rest of the route reads it whole. Anything else is
 * refused with an error naming the accepted types: a type that only {@code toString()} could convert is refused
 * rather than stored as a surprise, and Java serialisation is never used.
 */
final class BodyCodec {

    static final String ACCEPTED_TYPES = "String, CharSequence, Reader, byte[], ByteBuffer, InputStream, File, Path,"
                                         + " GenericFile, a stream cache, Map (String keys), List, Number, Boolean,"
                                         + " null, or a type Camel converts to an InputStream";
    /** Deeper nesting is refused rather than risking a stack overflow on a self-referencing map or list. */
    private static final int MAX_JSON_DEPTH = 512;

    private final long maxValueSize;
    /** How much of a stream or reader is read at most: one unit beyond the limit, so that oversize is detectable. */
    private final int readLimit;

    /** @param maxValueSize the largest value accepted, in bytes */
    BodyCodec(long maxValueSize) {
        this.maxValueSize = maxValueSize;
        this.readLimit = (int) Math.min(maxValueSize + 1, Integer.MAX_VALUE - 8);
    }

    /**
     * Whether storing this body consumes it: a stream or reader that is not a stream cache can be read once only, so
     * the producer replaces it with the value stored.
     */
    static boolean isConsumedByReading(Object body) {
        return (body instanceof InputStream || body instanceof Reader) && !(body instanceof StreamCache);
    }

    /**
     * The stored form of a body. A stream or reader is read up to one unit beyond the size limit, and refused when it
     * has more, without being read to its end or held in memory whole.
     *
     * @param  exchange                 the exchange the body belongs to, whose type converters convert other types
     * @throws InvalidEntryException    for a stream, reader or file larger than the limit
     * @throws IllegalArgumentException for a body of another type, or JSON content that JSON cannot represent
     */
    StoredValue encode(Object body, Exchange exchange) throws IOException {
        if (body instanceof StreamCache cache) {
            // Reset first too: an earlier step may have read it without resetting it.
            cache.reset();
            try {
                return encodeReadable(body, exchange);
            } finally {
                cache.reset();
            }
        }
        if (body == null || body instanceof Map || body instanceof List || body instanceof Number
                || body instanceof Boolean) {
            checkJson(body, "body", 0);
            return StoredValue.json(Jsoner.serialize(body));
        }
        return encodeReadable(body, exchange);
    }

    private StoredValue encodeReadable(Object body, Exchange exchange) throws IOException {
        if (body instanceof CharSequence text) {
            return StoredValue.text(text.toString());
        }
        if (body instanceof Reader reader) {
            return StoredValue.text(readText(reader));
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
            return StoredValue.bytes(readBytes(stream));
        }
        if (body instanceof File file) {
            return fileBytes(file.toPath());
        }
        if (body instanceof Path path) {
            return fileBytes(path);
        }
        // A local file as it is on disk: Camel's converter would re-encode a file with a charset to the JVM's default.
        if (body instanceof WrappedFile<?> wrapped && wrapped.getFile() instanceof File file && file.isFile()) {
            return fileBytes(file.toPath());
        }
        return convertedBytes(body, exchange);
    }

    /**
     * The bytes of a body that Camel's type converters turn into an InputStream (a remote file, an XML document,
     * ...). Only a converter registered for the body's type counts: the fallback that would go through
     * {@code toString()} is never asked, so a POJO is refused.
     */
    private StoredValue convertedBytes(Object body, Exchange exchange) throws IOException {
        TypeConverter converter = exchange.getContext().getTypeConverterRegistry()
                .lookup(InputStream.class, body.getClass());
        if (converter == null) {
            throw new IllegalArgumentException("Cannot store a body of type " + body.getClass().getName()
                                               + "; accepted: " + ACCEPTED_TYPES + " (convert the body first)");
        }
        InputStream converted;
        try {
            converted = converter.mandatoryConvertTo(InputStream.class, exchange, body);
        } catch (NoTypeConversionAvailableException e) {
            throw new IllegalArgumentException("Cannot store a body of type " + body.getClass().getName()
                                               + ": Camel could not convert it to an InputStream (" + e.getMessage()
                                               + ")", e);
        }
        try (InputStream stream = converted) {
            return StoredValue.bytes(readBytes(stream));
        }
    }

    private StoredValue fileBytes(Path file) throws IOException {
        try (InputStream stream = Files.newInputStream(file)) {
            return StoredValue.bytes(readBytes(stream));
        }
    }

    private byte[] readBytes(InputStream stream) throws IOException {
        byte[] bytes = stream.readNBytes(readLimit);
        if (bytes.length > maxValueSize) {
            throw tooLarge("bytes");
        }
        return bytes;
    }

    /** A char is at least one UTF-8 byte, so more chars than the limit means more bytes than the limit. */
    private String readText(Reader reader) throws IOException {
        StringBuilder text = new StringBuilder();
        char[] buffer = new char[(int) Math.min(8192, readLimit)];
        for (int read; text.length() < readLimit
                && (read = reader.read(buffer, 0, Math.min(buffer.length, readLimit - text.length()))) >= 0; ) {
            text.append(buffer, 0, read);
        }
        if (text.length() > maxValueSize) {
            throw tooLarge("characters");
        }
        return text.toString();
    }

    private InvalidEntryException tooLarge(String unit) {
        return new InvalidEntryException("The value has more than " + maxValueSize + " " + unit
                                         + "; the limit (maxValueSize) is " + maxValueSize
                                         + " bytes (reading stopped there)");
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
