package dev.robustmemory.camel;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.robustmemory.duckdb.lock.LockEvent;
import dev.robustmemory.duckdb.lock.OwnerRecord;
import dev.robustmemory.duckdb.lock.OwnerRecordReading;
import org.apache.camel.Message;

import static dev.robustmemory.camel.RobustMemoryConstants.CLEANED;
import static dev.robustmemory.camel.RobustMemoryConstants.EVENT_TYPE;
import static dev.robustmemory.camel.RobustMemoryConstants.FENCING_TOKEN;
import static dev.robustmemory.camel.RobustMemoryConstants.HELD_FOR;
import static dev.robustmemory.camel.RobustMemoryConstants.HOLDER_ACQUIRED_AT;
import static dev.robustmemory.camel.RobustMemoryConstants.HOLDER_HOST;
import static dev.robustmemory.camel.RobustMemoryConstants.HOLDER_PID;
import static dev.robustmemory.camel.RobustMemoryConstants.HOLDER_PROCESS_START;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_FILE;

/**
 * How a {@link LockEvent} reaches a route: as headers (typed: Long, Instant, Boolean) and as a JSON-friendly
 * {@code Map} body (strings, numbers, booleans; instants as ISO-8601 text), with the same facts in both. Facts that
 * are unknown (the holder of a corrupt record) are left out rather than set to null.
 */
final class LockEvents {

    private LockEvents() {
    }

    /** The facts of an event, in a fixed order, for a message body or a list of them. */
    static Map<String, Object> toMap(LockEvent event) {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("eventType", event.type().name());
        facts.put("lockFile", event.lockFile().toString());
        OwnerRecord record = event.record() == null ? null : event.record().record();
        if (record != null) {
            facts.put("holderPid", record.holder().pid());
            facts.put("holderHost", record.holder().host());
            if (record.holder().processStart() != null) {
                facts.put("holderProcessStart", record.holder().processStart().toString());
            }
            facts.put("holderAcquiredAt", record.acquiredAt().toString());
            facts.put("fencingToken", record.fencingToken());
        } else if (event.record() != null && event.record().isCorrupt()) {
            facts.put("problem", event.record().problem());
        }
        if (event.heldFor() != null) {
            facts.put("heldForMillis", event.heldFor().toMillis());
        }
        facts.put("cleaned", event.cleaned());
        facts.put("detectedAt", event.detectedAt().toString());
        return facts;
    }

    /** Sets the event's headers and its map as the body. */
    static void write(LockEvent event, Message message) {
        message.setHeader(EVENT_TYPE, event.type().name());
        message.setHeader(LOCK_FILE, event.lockFile().toString());
        message.setHeader(CLEANED, event.cleaned());
        OwnerRecord record = event.record() == null ? null : event.record().record();
        if (record != null) {
            message.setHeader(HOLDER_PID, record.holder().pid());
            message.setHeader(HOLDER_HOST, record.holder().host());
            message.setHeader(HOLDER_PROCESS_START, record.holder().processStart());
            message.setHeader(HOLDER_ACQUIRED_AT, record.acquiredAt());
            message.setHeader(FENCING_TOKEN, record.fencingToken());
        }
        if (event.heldFor() != null) {
            message.setHeader(HELD_FOR, event.heldFor().toMillis());
        }
        message.setBody(toMap(event));
    }

    /**
     * What makes two events "the same" for reporting once: the type, the lock file and the record it is about. A
     * holding is the holder's pid, host, process start and acquisition time, so a holder that re-acquires is a new
     * one; not the fencing token, which the holder publishes shortly after acquiring. A corrupt record is its text.
     */
    static String identity(LockEvent event) {
        OwnerRecordReading reading = event.record();
        String about;
        if (reading != null && reading.record() != null) {
            OwnerRecord record = reading.record();
            about = record.holder().pid() + "@" + record.holder().host() + "/" + record.holder().processStart() + "/"
                    + record.acquiredAt();
        } else {
            about = reading == null || reading.corruptText() == null ? "" : reading.corruptText();
        }
        return event.type() + " " + event.lockFile() + " " + about;
    }
}
