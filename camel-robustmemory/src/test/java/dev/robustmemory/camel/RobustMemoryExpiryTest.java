package dev.robustmemory.camel;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.testing.ManualClock;
import org.apache.camel.Exchange;
import org.apache.camel.ResolveEndpointFailedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.EXPIRES_AT;
import static dev.robustmemory.camel.RobustMemoryConstants.FOUND;
import static dev.robustmemory.camel.RobustMemoryConstants.TTL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ttl option and header through the producer and the idempotent repository. The test opens the memory first with
 * a clock it moves: the endpoints' stores join that store's lease, which goes by its clock.
 */
class RobustMemoryExpiryTest extends RobustMemoryTestSupport {

    private static final Instant START = Instant.parse("2026-06-01T12:00:00Z");

    private final ManualClock clock = new ManualClock(START);
    private DuckDbMemory clockedStore;

    @BeforeEach
    void openTheMemoryWithTheTestsClock() throws Exception {
        clockedStore = DuckDbMemory.open(StoreSettings.of(database()), clock);
    }

    @AfterEach
    void closeIt() {
        clockedStore.close();
    }

    @Test
    void aValueStoredWithTheTtlOptionIsGoneForEveryOperationOnceItExpires() {
        Exchange stored = call("robustmemory:session-1?ttl=30m", "alice");
        assertEquals(START.plus(Duration.ofMinutes(30)), stored.getMessage().getHeader(EXPIRES_AT));

        Exchange loaded = call("robustmemory:session-1?operation=load", null);
        assertEquals("alice", loaded.getMessage().getBody());
        assertEquals(START.plus(Duration.ofMinutes(30)), loaded.getMessage().getHeader(EXPIRES_AT));

        clock.advance(Duration.ofMinutes(30));
        Exchange expired = call("robustmemory:session-1?operation=load", null);
        assertNull(expired.getMessage().getBody());
        assertEquals(false, expired.getMessage().getHeader(FOUND));
        assertNull(expired.getMessage().getHeader(EXPIRES_AT));
        assertEquals(false, call("robustmemory:session-1?operation=exists", null).getMessage().getBody());
        assertEquals(0L, call("robustmemory:any?operation=size", null).getMessage().getBody());
    }

    @Test
    void theHeaderOverridesTheOptionForOneMessageAndAValueWithoutTtlNeverExpires() {
        Exchange stored = call("robustmemory:k?ttl=1h", "v", TTL, Duration.ofSeconds(10));
        assertEquals(START.plusSeconds(10), stored.getMessage().getHeader(EXPIRES_AT));
        assertEquals(START.plusSeconds(5), call("robustmemory:k2", "v", TTL, "5s").getMessage().getHeader(EXPIRES_AT));
        assertEquals(START.plusMillis(250), call("robustmemory:k3", "v", TTL, 250L).getMessage().getHeader(EXPIRES_AT));
        Exchange forever = call("robustmemory:k4", "v", EXPIRES_AT, "left over from upstream");
        assertFalse(forever.getMessage().getHeaders().containsKey(EXPIRES_AT), "no expiry, no header");

        clock.advance(Duration.ofDays(3650));
        assertEquals("v", call("robustmemory:k4?operation=load", null).getMessage().getBody());
    }

    @Test
    void storeAllGetAndSetAndPutIfAbsentWriteWithTheTtl() {
        call("robustmemory:batch?operation=storeAll&ttl=10s", Map.of("a", 1, "b", 2));
        Exchange put = call("robustmemory:c?operation=putIfAbsent&ttl=20s", "first");
        assertEquals(START.plusSeconds(20), put.getMessage().getHeader(EXPIRES_AT));
        Exchange swapped = call("robustmemory:d?operation=getAndSet", "new", TTL, "PT30S");
        assertEquals(START.plusSeconds(30), swapped.getMessage().getHeader(EXPIRES_AT));

        clock.advance(Duration.ofSeconds(10));
        assertEquals(Map.of(), call("robustmemory:batch?operation=loadAll", List.of("a", "b")).getMessage().getBody());
        Exchange again = call("robustmemory:c?operation=putIfAbsent&ttl=20s", "second");
        assertEquals("first", again.getMessage().getBody(), "not expired yet: the value that won stays");
        clock.advance(Duration.ofSeconds(10));
        assertEquals("second", call("robustmemory:c?operation=putIfAbsent", "second").getMessage().getBody());
    }

    /** A rate limit of a fixed window: the first increment sets the window, the next ones keep it. */
    @Test
    void anIncrementCountsInTheWindowItsFirstIncrementOpened() {
        String hits = "robustmemory:hits/client-7?operation=increment&ttl=1m";
        assertEquals(1L, call(hits, 1).getMessage().getBody());
        clock.advance(Duration.ofSeconds(59));
        Exchange second = call(hits, 1);
        assertEquals(2L, second.getMessage().getBody());
        assertEquals(START.plusSeconds(60), second.getMessage().getHeader(EXPIRES_AT));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(1L, call(hits, 1).getMessage().getBody());
    }

    @Test
    void aTtlThatIsNotAPositiveDurationIsRefusedClearly() {
        for (String invalid : List.of("0", "0s", "abc", "-5s", "10x")) {
            ResolveEndpointFailedException refused = assertThrows(ResolveEndpointFailedException.class,
                    () -> context.getEndpoint("robustmemory:k?ttl=" + invalid));
            assertTrue(refused.getMessage().contains("option ttl"), refused.getMessage());
        }
        IllegalArgumentException header = failure(IllegalArgumentException.class, "robustmemory:k", "v", TTL, 0L);
        assertTrue(header.getMessage().contains("header " + TTL), header.getMessage());
        assertEquals(false, call("robustmemory:k?operation=exists", null).getMessage().getBody(), "nothing written");
    }

    /** What an adapter to Camel 4.23's KeyValueRepository needs: put and putIfAbsent with a time to live. */
    @Test
    void theStateRepositorysStatesWithATimeToLiveExpire() throws Exception {
        RobustMemoryStateRepository states = new RobustMemoryStateRepository(database().toString(), "sessions");
        states.start();
        try {
            states.setState("alice", "token-1", Duration.ofMinutes(15));
            assertEquals("token-1", states.putIfAbsent("alice", "token-2", Duration.ofMinutes(15)));
            clock.advance(Duration.ofMinutes(15));
            assertNull(states.getState("alice"));
            assertEquals(List.of(), states.keys());
            assertNull(states.putIfAbsent("alice", "token-2", Duration.ofMinutes(15)), "expired: absent");
            assertEquals("token-2", states.getState("alice"));
            assertThrows(IllegalArgumentException.class, () -> states.setState("bob", "x", Duration.ZERO));
            assertNull(states.getState("bob"));
        } finally {
            states.stop();
        }
    }

    @Test
    void theIdempotentRepositoryForgetsAnIdAfterItsTtl() throws Exception {
        RobustMemoryIdempotentRepository repository = new RobustMemoryIdempotentRepository(database().toString(),
                "orders");
        repository.setTtl("7d");
        repository.start();
        try {
            assertTrue(repository.add("order-1"));
            clock.advance(Duration.ofDays(7).minusSeconds(1));
            assertFalse(repository.add("order-1"), "remembered for seven days");
            assertTrue(repository.contains("order-1"));
            clock.advance(Duration.ofSeconds(1));
            assertFalse(repository.contains("order-1"));
            assertTrue(repository.add("order-1"), "forgotten: a duplicate now is processed again");
        } finally {
            repository.stop();
        }
        RobustMemoryIdempotentRepository invalid = new RobustMemoryIdempotentRepository(database().toString(), "x");
        invalid.setTtl("0");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, invalid::start);
        assertTrue(refused.getMessage().contains("option ttl"), refused.getMessage());
    }
}
