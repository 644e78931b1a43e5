package dev.robustmemory.camel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * {@code toD} with the key in the URI, through {@link RobustMemorySendDynamicAware}: one endpoint however many keys,
 * the same keys as static endpoints would use, options still applied, and the caller's own key header respected.
 */
class RobustMemorySendDynamicTest extends RobustMemoryTestSupport {

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:store").toD("robustmemory:${header.id}");
                from("direct:withOperation").toD("robustmemory:${header.id}?operation=${header.op}");
            }
        };
    }

    @Test
    void aThousandKeysUseOneEndpoint() {
        for (int i = 0; i < 1000; i++) {
            call("direct:store", "value-" + i, "id", "key-" + i);
        }
        // counted before anything else here resolves an endpoint
        assertEquals(1, robustMemoryEndpoints().size(), () -> "endpoints: " + robustMemoryEndpoints());
        assertEquals(1000L, call("robustmemory:?operation=size", null).getMessage().getBody());
        assertEquals("value-999", call("robustmemory:key-999?operation=load", null).getMessage().getBody(String.class));
    }

    @Test
    void keysThatNeedEscapingAreTheKeysAStaticEndpointWouldUse() {
        List<String> written = List.of("order 42", "a&b=c", "ü/ß", "x+y", "100%", "with:colon", "a%20b");
        Map<String, String> expected = new LinkedHashMap<>();
        for (String key : written) {
            call("direct:store", key, "id", key);
            expected.put(key, context.getEndpoint("robustmemory:" + key, RobustMemoryEndpoint.class).getKey());
        }
        // what a user types is the key, except a %-escape, which a URI path decodes (with or without toD)
        Map<String, String> typed = new LinkedHashMap<>();
        written.forEach(key -> typed.put(key, key.equals("a%20b") ? "a b" : key));
        assertEquals(typed, expected);

        List<?> stored = call("robustmemory:?operation=keys", null).getMessage().getBody(List.class);
        assertEquals(new TreeSet<>(expected.values()), new TreeSet<>(stored));
        expected.forEach((uriKey, key) -> assertEquals(uriKey, call("robustmemory:?operation=load", null, KEY, key)
                .getMessage().getBody(String.class), () -> "value under " + key));
    }

    @Test
    void optionsInTheUriStillApplyAndEachOptionSetHasOneEndpoint() {
        call("direct:withOperation", "remembered", "id", "note", "op", "store");
        assertEquals("remembered", call("direct:withOperation", null, "id", "note", "op", "load").getMessage()
                .getBody(String.class));
        for (int i = 0; i < 3; i++) {
            call("direct:withOperation", null, "id", "counter-" + (i % 2), "op", "increment");
        }
        assertEquals(2L, call("direct:withOperation", null, "id", "counter-0", "op", "load").getMessage()
                .getBody(Long.class));
        assertEquals(3, robustMemoryEndpoints().size(), () -> "one per operation: " + robustMemoryEndpoints());
    }

    @Test
    void theKeyHeaderIsSetOnlyForTheCall() {
        Exchange stored = call("direct:store", "v", "id", "plain");
        assertFalse(stored.getMessage().getHeaders().containsKey(KEY), "no key header left on the message");
        assertNotNull(stored.getMessage().getHeader(RobustMemoryConstants.VERSION), "the store ran");

        Exchange failed = send("direct:withOperation", null, "id", "plain", "op", "increment"); // "v" is no number
        assertNotNull(failed.getException());
        assertFalse(failed.getMessage().getHeaders().containsKey(KEY), "no key header left after a failure either");
    }

    /**
     * The header overrides the key in the URI for every robustmemory endpoint; toD keeps that rule, so the
     * optimisation never changes which key is used, and leaves the caller's header as it was.
     */
    @Test
    void aKeyHeaderTheCallerSetWinsAndIsKept() {
        Exchange exchange = call("direct:store", "mine", "id", "from-uri", KEY, "from-header");

        assertEquals("from-header", exchange.getMessage().getHeader(KEY));
        assertEquals(List.of("from-header"), call("robustmemory:?operation=keys", null).getMessage().getBody(List.class));

        // the same as a static endpoint does with the header set
        call("robustmemory:from-uri", "static", KEY, "from-header");
        assertEquals(List.of("from-header"), call("robustmemory:?operation=keys", null).getMessage().getBody(List.class));
    }

    private List<String> robustMemoryEndpoints() {
        return context.getEndpoints().stream().filter(RobustMemoryEndpoint.class::isInstance)
                .map(Endpoint::getEndpointUri).toList();
    }

}
