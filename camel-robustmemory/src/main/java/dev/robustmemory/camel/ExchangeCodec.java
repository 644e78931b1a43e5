package dev.robustmemory.camel;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.robustmemory.memory.InvalidEntryException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.util.json.DeserializationException;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;

/**
 * An exchange as one stored value, for the aggregation repository: never Java serialisation, so nothing stored can
 * run code when it is read, and a stored exchange can be read by any version of the component (and by people).
 *
 * <p><b>Layout.</b> The bytes {@code RMEX}, a format byte (1), the length of the JSON part (4 bytes, big-endian),
 * the JSON part in UTF-8, then the body's bytes when the body is binary (stored as they are, not in base64). The
 * JSON part holds the exchange id, the route it came from, the body unless binary, the in message's headers, the
 * exchange's properties (Camel's internal ones, such as {@link Exchange#AGGREGATED_SIZE}, included) and its
 * variables.
 *
 * <p><b>Values that keep their type.</b> null, {@code String}, {@code StringBuilder}, {@code StringBuffer} (which
 * Camel's {@code StringAggregationStrategy} keeps its result in; any other {@code CharSequence} becomes a String),
 * {@code Boolean}, {@code Integer}, {@code Long}, {@code Short}, {@code Byte}, {@code Double}, {@code Float},
 * {@code BigInteger}, {@code BigDecimal}, {@code Character}, {@code java.util.Date}, {@code java.time.Instant},
 * {@code byte[]}, exchanges (as in the list of Camel's {@code GroupedExchangeAggregationStrategy}: their id, body,
 * headers, properties and variables by the same rules, a binary body in base64), and {@code List}s and {@code Map}s
 * (with String keys) of these, come back as the same types (lists as {@code ArrayList}, maps as
 * {@code LinkedHashMap}). In JSON, a String or Boolean is itself and any other type is an object of one member
 * naming it, e.g. {@code {"Integer":"5"}}, {@code {"bytes":"AAE="}}.
 *
 * <p><b>What is dropped, what is refused.</b> A header, property or variable of another type (a bean, a stream, an
 * exception) is dropped and named in {@link Encoded#dropped()}, as Camel's {@code DefaultExchangeHolder} drops what
 * it cannot serialise; so is the exchange's exception. The body is the aggregate, so it is never dropped: besides
 * the types above, what the memory's producer stores as text or bytes ({@link BodyCodec}: a {@code Reader}, an
 * {@code InputStream}, a stream cache, a file, a {@code ByteBuffer}, a type Camel converts to a stream) is stored
 * and comes back as a {@code String} or {@code byte[]}; any other body is refused with an
 * {@link IllegalArgumentException}. The out message (deprecated in Camel 4) is not stored.
 */
final class ExchangeCodec {

    /** An encoded exchange, and the headers, properties and variables that could not be stored. */
    record Encoded(StoredValue value, List<String> dropped) {
    }

    private static final byte[] MAGIC = "RMEX".getBytes(StandardCharsets.US_ASCII);
    private static final byte FORMAT = 1;
    private static final int PREAMBLE = MAGIC.length + 1 + Integer.BYTES;
    /** Deeper nesting is dropped (or refused) rather than risking a stack overflow on a self-referencing list. */
    private static final int MAX_DEPTH = 64;
    private static final String BINARY_BODY = "bodyIsBinary";
    /** Stands for null inside an Optional; never written. */
    private static final Object NULL = new Object();

    private final BodyCodec bodies;
    /** Properties the repository keeps itself and must not store, such as the version it sets on a loaded exchange. */
    private final List<String> ownProperties;

    ExchangeCodec(long maxValueSize, List<String> ownProperties) {
        this.bodies = new BodyCodec(maxValueSize);
        this.ownProperties = List.copyOf(ownProperties);
    }

    /**
     * @throws IllegalArgumentException for a body that cannot be stored (see the class comment)
     * @throws InvalidEntryException    for a stream, reader or file body larger than the value size limit
     */
    Encoded encode(Exchange exchange) throws IOException {
        List<String> dropped = new ArrayList<>();
        JsonObject json = new JsonObject();
        json.put("fromRouteId", exchange.getFromRouteId());
        byte[] binaryBody = encodeBody(exchange, json, dropped);
        encodeFields(exchange, json, "", dropped, 0);
        byte[] text = Jsoner.serialize(json).getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(PREAMBLE + text.length + binaryBody.length);
        bytes.put(MAGIC).put(FORMAT).putInt(text.length).put(text).put(binaryBody);
        return new Encoded(StoredValue.bytes(bytes.array()), List.copyOf(dropped));
    }

    /** A new exchange of the context with what was stored. */
    Exchange decode(CamelContext context, StoredValue value) {
        byte[] bytes = value.kind() == ValueKind.BYTES ? value.bytes() : new byte[0];
        if (bytes.length < PREAMBLE || !Arrays.equals(MAGIC, Arrays.copyOf(bytes, MAGIC.length))
                || bytes[MAGIC.length] != FORMAT) {
            throw new IllegalStateException("The stored value " + value + " is not an exchange written by this"
                                            + " repository (format " + FORMAT + ")");
        }
        int length = ByteBuffer.wrap(bytes, MAGIC.length + 1, Integer.BYTES).getInt();
        JsonObject json = parse(new String(bytes, PREAMBLE, length, StandardCharsets.UTF_8));
        Exchange exchange = decodeExchange(context, json);
        exchange.getExchangeExtension().setFromRouteId(json.getString("fromRouteId"));
        if (Boolean.TRUE.equals(json.get(BINARY_BODY))) {
            exchange.getIn().setBody(Arrays.copyOfRange(bytes, PREAMBLE + length, bytes.length));
        }
        return exchange;
    }

    /** Puts the body into the JSON part; returns its bytes when it is binary (else none). */
    private byte[] encodeBody(Exchange exchange, JsonObject json, List<String> dropped) throws IOException {
        Object body = exchange.getIn().getBody();
        // A byte[] would be valid JSON in base64, a third larger: the aggregate is the part that grows.
        Optional<Object> typed = body instanceof byte[] ? Optional.empty()
                : encodeValue(body, " in the body", dropped, 0);
        if (typed.isPresent()) {
            json.put("body", unwrapNull(typed.get()));
            return new byte[0];
        }
        StoredValue readable;
        try {
            readable = readableBody(exchange);
        } catch (InvalidEntryException tooLarge) {
            throw tooLarge;
        } catch (IllegalArgumentException unsupported) {
            throw new IllegalArgumentException("Cannot store the aggregated body of type " + body.getClass().getName()
                                               + " (" + unsupported.getMessage() + "); accepted: the types listed"
                                               + " for headers, or " + BodyCodec.ACCEPTED_TYPES, unsupported);
        }
        if (readable.kind() == ValueKind.BYTES) {
            json.put(BINARY_BODY, true);
            return readable.bytes();
        }
        json.put("body", readable.text());
        return new byte[0];
    }

    /**
     * The body as the memory's producer would store it (text or bytes).
     *
     * @throws IllegalArgumentException when it cannot be stored so
     * @throws InvalidEntryException    when a stream, reader or file is larger than the value size limit
     */
    private StoredValue readableBody(Exchange exchange) throws IOException {
        return bodies.encode(exchange.getIn().getBody(), exchange);
    }

    /** The exchange id, headers, properties and variables; what cannot be stored is named in {@code dropped}. */
    private void encodeFields(Exchange exchange, JsonObject json, String path, List<String> dropped, int depth)
            throws IOException {
        json.put("exchangeId", exchange.getExchangeId());
        json.put("headers", encodeAll("header", exchange.getIn().getHeaders(), List.of(), path, dropped, depth));
        json.put("properties", encodeAll("property", exchange.getAllProperties(), ownProperties, path, dropped,
                depth));
        json.put("variables", encodeAll("variable", exchange.getVariables(), List.of(), path, dropped, depth));
        if (exchange.getException() != null) {
            dropped.add("the exception " + exchange.getException().getClass().getName() + path);
        }
    }

    private JsonObject encodeAll(String what, Map<String, Object> values, List<String> skipped, String path,
                                 List<String> dropped, int depth) throws IOException {
        JsonObject encoded = new JsonObject();
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            if (skipped.contains(entry.getKey())) {
                continue;
            }
            String name = what + " " + entry.getKey() + path;
            Optional<Object> json = encodeValue(entry.getValue(), name, dropped, depth);
            if (json.isPresent()) {
                encoded.put(entry.getKey(), unwrapNull(json.get()));
            } else {
                dropped.add(name + " (" + entry.getValue().getClass().getName() + ")");
            }
        }
        return encoded;
    }

    /**
     * The JSON form of a value, or empty when its type (or that of something inside it) is not supported. What an
     * exchange inside it cannot store is named in {@code dropped}, below {@code path}.
     */
    private Optional<Object> encodeValue(Object value, String path, List<String> dropped, int depth)
            throws IOException {
        if (value == null) {
            return Optional.of(NULL);
        }
        if (value instanceof String || value instanceof Boolean) {
            return Optional.of(value);
        }
        if (value instanceof StringBuilder || value instanceof StringBuffer) {
            return Optional.of(tagged(value.getClass().getSimpleName(), value.toString()));
        }
        if (value instanceof CharSequence text) {
            return Optional.of(text.toString());
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof Double || value instanceof Float || value instanceof BigInteger
                || value instanceof BigDecimal || value instanceof Character) {
            // As text: exact for every value (NaN and 2^63 included), and no JSON reader can round it.
            return Optional.of(tagged(value.getClass().getSimpleName(), value.toString()));
        }
        if (value instanceof Date date) {
            return Optional.of(tagged("Date", Long.toString(date.getTime())));
        }
        if (value instanceof Instant instant) {
            return Optional.of(tagged("Instant", instant.toString()));
        }
        if (value instanceof byte[] bytes) {
            return Optional.of(tagged("bytes", Base64.getEncoder().encodeToString(bytes)));
        }
        if (depth >= MAX_DEPTH) {
            return Optional.empty();
        }
        if (value instanceof List<?> list) {
            JsonArray elements = new JsonArray();
            for (Object element : list) {
                Optional<Object> json = encodeValue(element, path, dropped, depth + 1);
                if (json.isEmpty()) {
                    return Optional.empty();
                }
                elements.add(unwrapNull(json.get()));
            }
            return Optional.of(tagged("List", elements));
        }
        if (value instanceof Map<?, ?> map) {
            JsonObject members = new JsonObject();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String name)) {
                    return Optional.empty();
                }
                Optional<Object> json = encodeValue(entry.getValue(), path, dropped, depth + 1);
                if (json.isEmpty()) {
                    return Optional.empty();
                }
                members.put(name, unwrapNull(json.get()));
            }
            return Optional.of(tagged("Map", members));
        }
        if (value instanceof Exchange nested) {
            return encodeNested(nested, path, dropped, depth + 1);
        }
        return Optional.empty();
    }

    /** An exchange inside a value; its body, the part that matters, must be storable or it is not stored at all. */
    private Optional<Object> encodeNested(Exchange nested, String path, List<String> dropped, int depth)
            throws IOException {
        JsonObject json = new JsonObject();
        Object body = nested.getIn().getBody();
        Optional<Object> typed = encodeValue(body, path, dropped, depth);
        if (typed.isPresent()) {
            json.put("body", unwrapNull(typed.get()));
        } else {
            StoredValue stored;
            try {
                stored = readableBody(nested);
            } catch (InvalidEntryException tooLarge) {
                throw tooLarge;
            } catch (IllegalArgumentException unsupported) {
                return Optional.empty();
            }
            json.put("body", stored.kind() == ValueKind.BYTES
                    ? tagged("bytes", Base64.getEncoder().encodeToString(stored.bytes())) : stored.text());
        }
        encodeFields(nested, json, " of exchange " + nested.getExchangeId() + " in " + path, dropped, depth);
        return Optional.of(tagged("Exchange", json));
    }

    private static Object unwrapNull(Object json) {
        return json == NULL ? null : json;
    }

    private static JsonObject tagged(String type, Object json) {
        JsonObject object = new JsonObject();
        object.put(type, json);
        return object;
    }

    private static Exchange decodeExchange(CamelContext context, JsonObject json) {
        Exchange exchange = new DefaultExchange(context);
        exchange.setExchangeId(json.getString("exchangeId"));
        exchange.getIn().setBody(decodeValue(context, json.get("body")));
        decodeAll(context, json.getMap("headers")).forEach(exchange.getIn()::setHeader);
        decodeAll(context, json.getMap("properties")).forEach(exchange::setProperty);
        decodeAll(context, json.getMap("variables")).forEach(exchange::setVariable);
        return exchange;
    }

    private static Map<String, Object> decodeAll(CamelContext context, Map<String, Object> json) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (json != null) {
            json.forEach((name, value) -> values.put(name, decodeValue(context, value)));
        }
        return values;
    }

    private static Object decodeValue(CamelContext context, Object json) {
        if (json == null || json instanceof String || json instanceof Boolean) {
            return json;
        }
        if (!(json instanceof JsonObject object) || object.size() != 1) {
            throw new IllegalStateException("A stored exchange has a value this repository did not write: " + json);
        }
        Map.Entry<String, Object> member = object.entrySet().iterator().next();
        Object content = member.getValue();
        return switch (member.getKey()) {
            case "StringBuilder" -> new StringBuilder((String) content);
            case "StringBuffer" -> new StringBuffer((String) content);
            case "Integer" -> Integer.valueOf((String) content);
            case "Long" -> Long.valueOf((String) content);
            case "Short" -> Short.valueOf((String) content);
            case "Byte" -> Byte.valueOf((String) content);
            case "Double" -> Double.valueOf((String) content);
            case "Float" -> Float.valueOf((String) content);
            case "BigInteger" -> new BigInteger((String) content);
            case "BigDecimal" -> new BigDecimal((String) content);
            case "Character" -> ((String) content).charAt(0);
            case "Date" -> new Date(Long.parseLong((String) content));
            case "Instant" -> Instant.parse((String) content);
            case "bytes" -> Base64.getDecoder().decode((String) content);
            case "List" -> {
                List<Object> list = new ArrayList<>();
                ((JsonArray) content).forEach(element -> list.add(decodeValue(context, element)));
                yield list;
            }
            case "Map" -> decodeAll(context, (JsonObject) content);
            case "Exchange" -> decodeExchange(context, (JsonObject) content);
            default -> throw new IllegalStateException("A stored exchange has a value of unknown type '"
                                                       + member.getKey() + "'");
        };
    }

    private static JsonObject parse(String json) {
        try {
            return (JsonObject) Jsoner.deserialize(json);
        } catch (DeserializationException | ClassCastException e) {
            throw new IllegalStateException("A stored exchange cannot be read: " + e.getMessage(), e);
        }
    }
}
