package dev.robustmemory.camel;

import java.net.URI;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.spi.annotations.SendDynamic;
import org.apache.camel.support.EndpointHelper;
import org.apache.camel.support.component.SendDynamicAwareSupport;
import org.apache.camel.util.StringHelper;
import org.apache.camel.util.URISupport;
import org.apache.camel.util.UnsafeUriCharactersEncoder;

import static dev.robustmemory.camel.RobustMemoryConstants.KEY;

/**
 * Lets {@code toD("robustmemory:${header.id}?...")} reuse one endpoint for every key: the key moves from the URI path
 * into the header {@code CamelRobustMemoryKey} for the call, and the exchange goes to the keyless endpoint with the
 * same options ({@code robustmemory:?...}). Without it, every distinct key would create, validate, register and
 * cache an endpoint of its own.
 *
 * <p>The key is the one a static endpoint of the same URI would have: the path after Camel's own normalisation and
 * decoding, so keys that need URI escaping mean the same with and without this optimisation. Options stay in the URI
 * as written, so endpoints differ by their options only.
 *
 * <p><b>A key header already on the message wins</b>, as it does for every robustmemory endpoint ("the header
 * overrides the key in the URI"), and is left untouched: the optimisation never changes which key is used. Otherwise
 * the header is set for the call and removed afterwards, so the message leaves as it would have without it.
 */
@SendDynamic("robustmemory")
public class RobustMemorySendDynamicAware extends SendDynamicAwareSupport {

    @Override
    public boolean isLenientProperties() {
        return false;
    }

    /** The URI's key as the entry's only property, or null (nothing to optimise) when the URI names no key. */
    @Override
    public DynamicAwareEntry prepare(Exchange exchange, String uri, String originalUri) throws Exception {
        String key = keyOf(uri);
        return key == null ? null : new DynamicAwareEntry(uri, originalUri, Map.of("key", key), null);
    }

    @Override
    public String resolveStaticUri(Exchange exchange, DynamicAwareEntry entry) {
        String query = StringHelper.after(entry.getUri(), "?");
        if (query == null || query.isEmpty()) {
            // A keyless URI needs a query: Camel refuses "robustmemory:" and cannot parse what "robustmemory:?"
            // normalises to. The component's default operation is what the endpoint would have had anyway.
            query = "operation=" + getCamelContext().getComponent(getScheme(), RobustMemoryComponent.class)
                    .getConfiguration().getOperation();
        }
        return getScheme() + ":?" + query;
    }

    @Override
    public Processor createPreProcessor(Exchange exchange, DynamicAwareEntry entry) {
        if (hasKeyHeader(exchange)) {
            return null;
        }
        Object key = entry.getProperties().get("key");
        return target -> target.getMessage().setHeader(KEY, key);
    }

    /** Created before the pre-processor runs, so a header found now is the caller's own and is kept. */
    @Override
    public Processor createPostProcessor(Exchange exchange, DynamicAwareEntry entry) {
        if (hasKeyHeader(exchange)) {
            return null;
        }
        return target -> target.getMessage().removeHeader(KEY);
    }

    private static boolean hasKeyHeader(Exchange exchange) {
        return exchange.getMessage().getHeader(KEY) != null;
    }

    /**
     * The path of the URI as Camel hands it to the component when it creates an endpoint: normalised, then made safe
     * to parse, then decoded (see {@code DefaultComponent.createEndpoint}); null when empty, as the component reads it.
     */
    private static String keyOf(String uri) throws Exception {
        String normalized = EndpointHelper.normalizeEndpointUri(uri);
        String path = URISupport.extractRemainderPath(new URI(UnsafeUriCharactersEncoder.encode(normalized)), false);
        return path == null || path.isEmpty() ? null : path;
    }
}
