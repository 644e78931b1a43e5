package dev.robustmemory.camel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.robustmemory.duckdb.lock.CrossProcessLock;
import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.LockTimeoutException;
import dev.robustmemory.duckdb.lock.OwnerRecord;
import dev.robustmemory.duckdb.lock.OwnerRecordReading;
import dev.robustmemory.duckdb.lock.ProcessIdentity;
import dev.robustmemory.testing.ChildJvm;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.ScheduledPollConsumer;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.CLEANED;
import static dev.robustmemory.camel.RobustMemoryConstants.EVENT_TYPE;
import static dev.robustmemory.camel.RobustMemoryConstants.FENCING_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.HELD_FOR;
import static dev.robustmemory.camel.RobustMemoryConstants.HOLDER_ACQUIRED_AT;
import static dev.robustmemory.camel.RobustMemoryConstants.HOLDER_HOST;
import static dev.robustmemory.camel.RobustMemoryConstants.HOLDER_PID;
import static dev.robustmemory.camel.RobustMemoryConstants.HOLDER_PROCESS_START;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_FILE;
import static dev.robustmemory.camel.RobustMemoryConstants.ORPHANED_LOCKS_CLEANED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The orphan-cleanup consumer and the cleanup operation, on lock files made by real other processes: one killed
 * with SIGKILL while holding the lock, one holding past the stale threshold, a stray program writing garbage, a
 * record written by a process on another host.
 *
 * <p>The consumers send an empty message at every poll that finds nothing ({@code sendEmptyMessageWhenIdle}), so a
 * test can wait for an event and then for a number of quiet polls, and know that an event was reported once.
 */
class RobustMemoryConsumerProcessTest extends RobustMemoryTestSupport {

    private static final Duration CHILD = Duration.ofSeconds(60);
    private static final Duration POLLED = Duration.ofSeconds(30);
    private static final int QUIET_POLLS = 3;
    private static final String EVENTS = "robustmemory:events?delay=50&initialDelay=0&sendEmptyMessageWhenIdle=true";

    private final BlockingQueue<Message> polled = new LinkedBlockingQueue<>();

    @Test
    void aHolderKilledWithTheLockIsReportedOrphanedOnceAndItsRecordRecovered() throws Exception {
        consume(EVENTS);
        Held held = holdAndKill(database());

        Message event = awaitEvent();
        assertEquals("ORPHANED", event.getHeader(EVENT_TYPE));
        assertEquals(true, event.getHeader(CLEANED));
        assertEquals(held.pid(), event.getHeader(HOLDER_PID));
        assertEquals(ProcessIdentity.current().host(), event.getHeader(HOLDER_HOST));
        assertEquals(held.token(), event.getHeader(FENCING_TOKEN));
        assertEquals(lockFile().toString(), event.getHeader(LOCK_FILE));
        assertInstanceOf(Instant.class, event.getHeader(HOLDER_PROCESS_START));
        assertInstanceOf(Instant.class, event.getHeader(HOLDER_ACQUIRED_AT));
        assertTrue(event.getHeader(HELD_FOR, Long.class) >= 0);
        Map<?, ?> body = event.getBody(Map.class);
        assertEquals("ORPHANED", body.get("eventType"));
        assertEquals(held.pid(), body.get("holderPid"));
        assertEquals(true, body.get("cleaned"));
        assertQuietFor(QUIET_POLLS);

        assertEquals(OwnerRecord.State.RECOVERED, ownerRecord().record().state());
        Exchange next = call("robustmemory:k", "the memory still works");
        assertEquals(1L, next.getMessage().getHeader(ORPHANED_LOCKS_CLEANED));
    }

    @Test
    void aTakeoverByTheProducerIsReportedByTheConsumerOnce() throws Exception {
        String consumer = consume(EVENTS + "&startScheduler=false");
        call("robustmemory:k", "before");
        Held held = holdAndKill(database());

        Exchange takeover = call("robustmemory:k", "after");
        assertEquals(1L, takeover.getMessage().getHeader(ORPHANED_LOCKS_CLEANED));
        startScheduler(consumer);

        Message event = awaitEvent();
        assertEquals("ORPHANED", event.getHeader(EVENT_TYPE));
        assertEquals(true, event.getHeader(CLEANED));
        assertEquals(held.pid(), event.getHeader(HOLDER_PID));
        assertEquals(held.token(), event.getHeader(FENCING_TOKEN));
        assertQuietFor(QUIET_POLLS);
    }

    @Test
    void aMemoryOpenedAfterItsHolderDiedReportsTheOrphanOnce() throws Exception {
        Path restarted = dir.resolve("restarted.duckdb");
        Held held = holdAndKill(restarted);

        // The first use of the memory in this context opens it, which takes the lock once.
        consume(EVENTS + "&database=" + restarted);

        Message event = awaitEvent();
        assertEquals("ORPHANED", event.getHeader(EVENT_TYPE));
        assertEquals(true, event.getHeader(CLEANED));
        assertEquals(held.pid(), event.getHeader(HOLDER_PID));
        assertQuietFor(QUIET_POLLS);
    }

    @Test
    void aHolderPastTheThresholdIsReportedStaleOnceAndKeepsTheLock() throws Exception {
        consume(EVENTS + "&staleLockThreshold=300ms");
        try (ChildJvm child = startHolder(database())) {
            Held held = Held.from(child.awaitLine("HELD", CHILD));

            Message event = awaitEvent();
            assertEquals("STALE", event.getHeader(EVENT_TYPE));
            assertEquals(false, event.getHeader(CLEANED));
            assertEquals(held.pid(), event.getHeader(HOLDER_PID));
            assertTrue(event.getHeader(HELD_FOR, Long.class) >= 300, "held for " + event.getHeader(HELD_FOR));
            assertQuietFor(QUIET_POLLS);

            OwnerRecord record = ownerRecord().record();
            assertEquals(OwnerRecord.State.HELD, record.state());
            assertEquals(held.pid(), record.holder().pid());
            failure(LockTimeoutException.class, "robustmemory:k?lockTimeout=0", "the child still holds the lock");

            child.tell("release");
            child.awaitLine("RELEASED", CHILD);
        }
    }

    @Test
    void aGarbageRecordIsReportedCorruptOnceAndRepairedAndTheLockStillWorks() throws Exception {
        consume(EVENTS);
        runToEnd(ChildJvm.start(dir.resolve("tmp"), MemoryChild.class, "garbage", lockFile().toString()));

        Message event = awaitEvent();
        assertEquals("CORRUPT", event.getHeader(EVENT_TYPE));
        assertEquals(true, event.getHeader(CLEANED));
        assertNull(event.getHeader(HOLDER_PID), "a corrupt record names no holder");
        assertNotNull(event.getBody(Map.class).get("problem"));
        assertQuietFor(QUIET_POLLS);

        assertFalse(ownerRecord().isCorrupt());
        call("robustmemory:k", "stored after the repair");
        assertEquals("stored after the repair", call("robustmemory:k?operation=load", null).getMessage().getBody());
    }

    @Test
    void aRecordFromAnotherHostIsReportedOnceAndLeftAlone() throws Exception {
        String consumer = consume(EVENTS + "&startScheduler=false");
        String otherHost = ProcessIdentity.current().host() + "-elsewhere";
        runToEnd(ChildJvm.start(dir.resolve("tmp"), MemoryChild.class, "foreign", lockFile().toString(), otherHost));
        byte[] written = Files.readAllBytes(lockFile());
        startScheduler(consumer);

        Message event = awaitEvent();
        assertEquals("FOREIGN_HOST", event.getHeader(EVENT_TYPE));
        assertEquals(false, event.getHeader(CLEANED));
        assertEquals(otherHost, event.getHeader(HOLDER_HOST));
        assertEquals(4242L, event.getHeader(HOLDER_PID));
        assertEquals(77L, event.getHeader(FENCING_TOKEN));
        assertQuietFor(QUIET_POLLS);
        context.getRouteController().stopRoute(consumer); // reading the file must not overlap an inspection
        assertArrayEquals(written, Files.readAllBytes(lockFile()));
    }

    @Test
    void withoutCleanupAnOrphanIsReportedOnceAndNoByteChangesOnDisk() throws Exception {
        String consumer = consume(EVENTS + "&cleanupOrphaned=false&startScheduler=false");
        Held held = holdAndKill(database());
        Map<Path, byte[]> before = filesIn(dir);
        startScheduler(consumer);

        Message event = awaitEvent();
        assertEquals("ORPHANED", event.getHeader(EVENT_TYPE));
        assertEquals(false, event.getHeader(CLEANED));
        assertEquals(held.pid(), event.getHeader(HOLDER_PID));
        assertQuietFor(QUIET_POLLS);
        context.getRouteController().stopRoute(consumer); // reading the files must not overlap an inspection

        Map<Path, byte[]> after = filesIn(dir);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((file, bytes) -> assertArrayEquals(bytes, after.get(file), file + " changed"));
        assertEquals(OwnerRecord.State.HELD, ownerRecord().record().state());
    }

    @Test
    void aLockDirectoryIsInspectedButOtherProgramsLockFilesAreLeftAlone() throws Exception {
        Path memories = Files.createDirectories(dir.resolve("memories"));
        Path otherProgramsLock = Files.writeString(memories.resolve("other-program.lock"), "12345\n");
        Path neighbour = memories.resolve("neighbour.duckdb");
        consume(EVENTS + "&database=" + memories.resolve("watched.duckdb") + "&lockDirectory=" + memories);
        Held held = holdAndKill(neighbour);

        Message event = awaitEvent();
        assertEquals("ORPHANED", event.getHeader(EVENT_TYPE));
        assertEquals(memories.resolve("neighbour.duckdb.lock").toRealPath().toString(), event.getHeader(LOCK_FILE));
        assertEquals(held.pid(), event.getHeader(HOLDER_PID));
        assertEquals(true, event.getHeader(CLEANED));
        assertQuietFor(QUIET_POLLS);
        assertEquals("12345\n", Files.readString(otherProgramsLock));
    }

    @Test
    void theCleanupOperationInspectsNowAndReturnsTheEvents() throws Exception {
        assertEquals(List.of(), call("robustmemory:?operation=cleanup", null).getMessage().getBody());
        Held held = holdAndKill(database());

        Exchange cleanup = call("robustmemory:?operation=cleanup", null);
        List<?> events = cleanup.getMessage().getBody(List.class);
        assertEquals(1, events.size(), events::toString);
        Map<?, ?> event = (Map<?, ?>) events.get(0);
        assertEquals("ORPHANED", event.get("eventType"));
        assertEquals(held.pid(), event.get("holderPid"));
        assertEquals(held.token(), event.get("fencingToken"));
        assertEquals(true, event.get("cleaned"));
        assertEquals(lockFile().toString(), event.get("lockFile"));
        assertEquals(1L, cleanup.getMessage().getHeader(ORPHANED_LOCKS_CLEANED));

        assertEquals(List.of(), call("robustmemory:?operation=cleanup", null).getMessage().getBody());
    }

    /** The pid and fencing token a holding child printed. */
    private record Held(long pid, long token) {
        static Held from(String line) {
            String[] words = line.split(" ");
            return new Held(Long.parseLong(words[1]), Long.parseLong(words[2]));
        }
    }

    private ChildJvm startHolder(Path database) throws Exception {
        return ChildJvm.start(dir.resolve("tmp"), MemoryChild.class, "hold", database.toString());
    }

    /** A child takes the memory's lock in the middle of an operation and is killed with SIGKILL while holding it. */
    private Held holdAndKill(Path database) throws Exception {
        try (ChildJvm child = startHolder(database)) {
            Held held = Held.from(child.awaitLine("HELD", CHILD));
            child.kill9();
            return held;
        }
    }

    private static void runToEnd(ChildJvm child) throws Exception {
        try (child) {
            child.awaitLine("WRITTEN", CHILD);
            assertEquals(0, child.awaitExit(CHILD));
        }
    }

    /** Adds a route from the consumer URI that records every polled message; returns the route id. */
    private String consume(String uri) throws Exception {
        String routeId = "events-" + polled.hashCode();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(uri).routeId(routeId).process(exchange -> polled.add(exchange.getMessage().copy()));
            }
        });
        return routeId;
    }

    private void startScheduler(String routeId) {
        ((ScheduledPollConsumer) context.getRoute(routeId).getConsumer()).startScheduler();
    }

    /** The next event, skipping the empty messages of quiet polls. */
    private Message awaitEvent() throws InterruptedException {
        long deadline = System.nanoTime() + POLLED.toNanos();
        while (true) {
            Message message = polled.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (message == null) {
                fail("No lock event within " + POLLED);
            }
            if (message.getHeader(EVENT_TYPE) != null) {
                return message;
            }
        }
    }

    /** The next polls find nothing: whatever was reported is not reported again. */
    private void assertQuietFor(int polls) throws InterruptedException {
        for (int i = 0; i < polls; i++) {
            Message message = polled.poll(POLLED.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(message, "the consumer stopped polling");
            assertNull(message.getHeader(EVENT_TYPE), () -> "reported again: " + message.getBody());
        }
    }

    private Path lockFile() throws Exception {
        return Path.of(database() + ".lock").toRealPath();
    }

    private OwnerRecordReading ownerRecord() throws Exception {
        // The JVM's one instance for the file: a second handle on it could drop a lock this JVM holds.
        return CrossProcessLock.open(lockFile(), LockFileSettings.defaults()).readOwnerRecord();
    }

    /**
     * The content of every file directly in a directory, by name. Call it only while nothing in this JVM may hold
     * the lock: closing a second handle on a lock file drops the JVM's lock on it.
     */
    private static Map<Path, byte[]> filesIn(Path directory) throws Exception {
        Map<Path, byte[]> contents = new TreeMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                contents.put(file.getFileName(), Files.readAllBytes(file));
            }
        }
        return contents;
    }
}
