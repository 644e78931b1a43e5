package dev.robustmemory.duckdb.lock;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The owner record's text: what is written reads back the same, and what was damaged reads as corrupt. */
class OwnerRecordTest {

    @Test
    void everyFieldReadsBackAsWritten() {
        ProcessIdentity elsewhere = new ProcessIdentity(4711, null, "wörker-1", "");
        OwnerRecord[] records = {
                new OwnerRecord(OwnerRecord.State.HELD, ProcessIdentity.current(), Instant.now(), 0, null),
                new OwnerRecord(OwnerRecord.State.RELEASED, ProcessIdentity.current(),
                        Instant.parse("1969-12-31T23:59:59.999999999Z"), Long.MAX_VALUE, Instant.ofEpochSecond(0)),
                new OwnerRecord(OwnerRecord.State.RECOVERED, elsewhere, Instant.parse("2026-11-26T16:05:00Z"), 42,
                        Instant.parse("2026-11-26T16:05:00.000000001Z"))};
        for (OwnerRecord record : records) {
            byte[] slot = record.toSlot();
            assertEquals(OwnerRecord.SLOT_SIZE, slot.length);
            assertEquals(record, OwnerRecord.parse(slot, slot.length).record());
        }
    }

    @Test
    void aChangedByteMakesTheRecordCorrupt() {
        byte[] slot = new OwnerRecord(OwnerRecord.State.HELD, ProcessIdentity.current(), Instant.now(), 7, null)
                .toSlot();
        slot[new String(slot, StandardCharsets.UTF_8).indexOf("fencingToken=7") + "fencingToken=".length()] = '8';
        OwnerRecordReading reading = OwnerRecord.parse(slot, slot.length);
        assertTrue(reading.isCorrupt());
        assertTrue(reading.problem().contains("checksum"), reading.problem());
    }

    @Test
    void aRecordThatDoesNotFitTheSlotIsRefused() {
        ProcessIdentity longName = new ProcessIdentity(1, null, "h".repeat(OwnerRecord.SLOT_SIZE), "");
        OwnerRecord record = new OwnerRecord(OwnerRecord.State.HELD, longName, Instant.now(), 0, null);
        assertThrows(IllegalStateException.class, record::toSlot);
    }
}
