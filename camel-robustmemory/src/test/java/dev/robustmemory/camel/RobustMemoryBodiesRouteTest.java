package dev.robustmemory.camel;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;

import dev.robustmemory.duckdb.lock.LockGrant;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.memory.InvalidEntryException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AggregationStrategies;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.file.GenericFile;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.converter.stream.FileInputStreamCache;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.KEY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bodies real routes hand the producer: a {@code file:} consumer's GenericFile, a stream as an HTTP component
 * delivers it (cached, spooled to disk, or raw), and what split and aggregate make.
 */
class RobustMemoryBodiesRouteTest extends RobustMemoryTestSupport {

    /** Stream caches above this size spool to a file: the route's upload below is a FileInputStreamCache. */
    private static final int SPOOL_THRESHOLD = 4096;
    private static final String BODY_TYPE = "bodyTypeAfterStore";

    private Path inbox() {
        return dir.resolve("inbox");
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camelContext = super.createCamelContext();
        camelContext.getStreamCachingStrategy().setSpoolEnabled(true);
        camelContext.getStreamCachingStrategy().setSpoolThreshold(SPOOL_THRESHOLD);
        camelContext.getStreamCachingStrategy().setSpoolDirectory(dir.resolve("spool").toFile());
        return camelContext;
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                // charset: Camel would read the files as Latin-1 text; the memory keeps their bytes regardless
                from("file:" + inbox() + "?noop=true&initialDelay=0&delay=10&charset=ISO-8859-1")
                        .setHeader(KEY, simple("file-${file:name}"))
                        .to("robustmemory:unused")
                        .to("mock:filed");

                // The spool file is gone once the exchange completes: what follows the store is read in the route.
                from("direct:upload")
                        .to("robustmemory:upload")
                        .setProperty(BODY_TYPE, simple("${body.class.name}"))
                        .convertBodyTo(byte[].class)
                        .to("mock:uploaded");

                from("direct:raw-upload").streamCache("false")
                        .to("robustmemory:upload")
                        .to("mock:uploaded");

                from("direct:lines")
                        .split(body().tokenize("\n"), AggregationStrategies.groupedBody())
                            .setHeader(KEY, simple("line-${exchangeProperty.CamelSplitIndex}"))
                            .to("robustmemory:unused")
                        .end()
                        .removeHeader(KEY) // the aggregate keeps the first part's headers
                        .to("robustmemory:all-lines");

                from("direct:joined")
                        .split(body().tokenize(","), AggregationStrategies.string("+"))
                            .transform(simple("${body.toUpperCase()}"))
                        .end()
                        .to("robustmemory:joined");
            }
        };
    }

    @Test
    void aFileRouteStoresEachFileAsItsExactBytes() throws Exception {
        byte[] binary = new byte[20_000];
        new Random(7).nextBytes(binary);
        byte[] latin1 = "déjà vu\n".getBytes(StandardCharsets.ISO_8859_1);
        MockEndpoint filed = getMockEndpoint("mock:filed");
        filed.expectedMessageCount(2);

        drop("photo.bin", binary);
        drop("note.txt", latin1);
        filed.assertIsSatisfied();

        assertArrayEquals(binary, load("file-photo.bin", byte[].class));
        assertArrayEquals(latin1, load("file-note.txt", byte[].class));
        for (Exchange exchange : filed.getExchanges()) {
            assertInstanceOf(GenericFile.class, exchange.getMessage().getBody(), "the file body is left as it was");
        }
    }

    @Test
    void aCachedUploadSpooledToDiskIsStoredAndStillReadableAfterwards() throws Exception {
        byte[] upload = new byte[SPOOL_THRESHOLD * 10];
        new Random(11).nextBytes(upload);
        MockEndpoint uploaded = getMockEndpoint("mock:uploaded");
        uploaded.expectedMessageCount(1);

        template.sendBody("direct:upload", new ChunkedStream(upload));
        uploaded.assertIsSatisfied();

        Exchange after = uploaded.getExchanges().get(0);
        assertEquals(FileInputStreamCache.class.getName(), after.getProperty(BODY_TYPE),
                "the body stays the cache, spooled to disk");
        assertArrayEquals(upload, after.getMessage().getBody(byte[].class),
                "the rest of the route reads the whole stream");
        assertArrayEquals(upload, load("upload", byte[].class));
    }

    @Test
    void aRawUploadIsReplacedByTheBytesItWasReadInto() throws Exception {
        byte[] upload = "raw body of a request".getBytes(StandardCharsets.UTF_8);
        MockEndpoint uploaded = getMockEndpoint("mock:uploaded");
        uploaded.expectedMessageCount(1);

        template.sendBody("direct:raw-upload", new ChunkedStream(upload));
        uploaded.assertIsSatisfied();

        assertArrayEquals(upload, assertInstanceOf(byte[].class,
                uploaded.getExchanges().get(0).getMessage().getBody()));
        assertArrayEquals(upload, load("upload", byte[].class));
    }

    @Test
    void aStreamWhoseStoreFailedIsLeftAsItsBytesForARedelivery() throws Exception {
        byte[] upload = "retry me".getBytes(StandardCharsets.UTF_8);
        String uri = "robustmemory:upload?lockTimeout=0";
        Exchange failed;
        try (LockGrant held = holdLockElsewhere(uri)) {
            failed = send(uri, new ChunkedStream(upload));
        }
        assertInstanceOf(LockTimeoutException.class, failed.getException());
        assertArrayEquals(upload, assertInstanceOf(byte[].class, failed.getMessage().getBody()));

        failed.setException(null);
        Exchange redelivered = template.send("robustmemory:upload", failed); // the same message again, as a redelivery
        assertNull(redelivered.getException(), () -> String.valueOf(redelivered.getException()));
        assertArrayEquals(upload, load("upload", byte[].class));
    }

    @Test
    void anUploadOverTheLimitIsRefusedWithoutReadingItToTheEnd() {
        ChunkedStream endless = new ChunkedStream(new byte[1_000_000]);
        InvalidEntryException e = failure(InvalidEntryException.class, "robustmemory:upload?maxValueSize=1000",
                endless);
        assertTrue(e.getMessage().contains("maxValueSize"), e.getMessage());
        assertEquals(1001, endless.consumed);
        assertEquals(false, call("robustmemory:upload?operation=load", null).getMessage()
                .getHeader(RobustMemoryConstants.FOUND));
    }

    @Test
    void splitPartsAndTheirAggregateAreStored() {
        template.sendBody("direct:lines", "alpha\nbeta\ngamma");

        assertEquals("alpha", load("line-0", String.class));
        assertEquals("gamma", load("line-2", String.class));
        assertEquals(List.of("alpha", "beta", "gamma"), load("all-lines", List.class));
    }

    @Test
    void aStringAggregateIsStoredAsText() {
        template.sendBody("direct:joined", "a,b,c");

        assertEquals("A+B+C", load("joined", String.class));
    }

    /** Moves the file in whole, so that the file consumer never sees it half written. */
    private void drop(String name, byte[] content) throws Exception {
        Files.createDirectories(inbox());
        Path staged = Files.write(dir.resolve(name + ".staged"), content);
        Files.move(staged, inbox().resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private <T> T load(String key, Class<T> type) {
        Object body = call("robustmemory:" + key + "?operation=load", null).getMessage().getBody();
        return assertInstanceOf(type, body);
    }

    /**
     * A stream as a socket gives it: reads return at most 1000 bytes, it cannot be reset, and it counts what was
     * consumed from it.
     */
    private static final class ChunkedStream extends FilterInputStream {
        long consumed;

        ChunkedStream(byte[] content) {
            super(new ByteArrayInputStream(content));
        }

        @Override
        public int read() throws IOException {
            int read = super.read();
            consumed += read < 0 ? 0 : 1;
            return read;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int read = super.read(buffer, offset, Math.min(length, 1000));
            consumed += Math.max(read, 0);
            return read;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void reset() throws IOException {
            throw new IOException("a socket stream cannot be reset");
        }
    }
}
