package dev.robustmemory.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The journal file on its own: what comes back after a crash, and what it refuses to touch. */
class WriteAheadJournalTest {

    private static final long DATABASE_ID = 42;

    @TempDir
    Path directory;

    private Path path() {
        return directory.resolve("memory.duckdb.journal");
    }

    @Test
    void recoveryReturnsEveryKindOfWriteBeyondTheAppliedNumberInOrder() throws Exception {
        List<PendingWrite> first = List.of(write("a", StoredValue.text("ä text")), write("b", StoredValue.json("[1]")));
        List<PendingWrite> second = List.of(write("c", StoredValue.bytes(new byte[]{0, -1, 7})),
                PendingWrite.deletion("a", 4));
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of(), readAll(journal, 0));
            journal.append(first);
            journal.append(second);
            assertEquals(4, journal.lastSeq());
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of(first.get(1), second.get(0), second.get(1)), readAll(journal, 1));
            assertEquals(4, journal.lastSeq());
        }
    }

    @Test
    void aTornLastRecordEndsRecoveryAtTheRecordsBeforeIt() throws Exception {
        List<PendingWrite> acknowledged = List.of(write("a", StoredValue.text("1")));
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            readAll(journal, 0);
            journal.append(acknowledged);
            journal.append(List.of(write("b", StoredValue.text("never acknowledged"))));
        }
        byte[] content = Files.readAllBytes(path());
        int lastValueByte = new String(content, StandardCharsets.ISO_8859_1).indexOf("never acknowledged");
        try (RandomAccessFile file = new RandomAccessFile(path().toFile(), "rw")) {
            file.seek(lastValueByte);
            file.write('N'); // the page holding the record's end did not reach the disk whole
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(acknowledged, readAll(journal, 0));
            journal.append(List.of(write("c", StoredValue.text("next"))));
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            List<PendingWrite> recovered = readAll(journal, 0);
            assertEquals(List.of("a", "c"), keysOf(recovered),
                    "the next append overwrote the torn record");
        }
    }

    @Test
    void afterAResetOnlyLaterWritesComeBackAndTheirNumbersGoOn() throws Exception {
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            readAll(journal, 0);
            journal.append(List.of(write("old", StoredValue.text("applied")), write("older", StoredValue.text("too"))));
            journal.reset();
            journal.append(List.of(write("new", StoredValue.text("pending"))));
            assertEquals(3, journal.lastSeq());
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of("new"), keysOf(readAll(journal, 2)));
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            readAll(journal, 3);
            journal.reset();
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of(), readAll(journal, 3));
        }
    }

    @Test
    void aJournalLeftByAnotherDatabaseIsNeverReplayed() throws Exception {
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            readAll(journal, 0);
            journal.append(List.of(write("from-a-deleted-database", StoredValue.text("x"))));
        }
        try (WriteAheadJournal journal = open(DATABASE_ID + 1)) {
            assertEquals(List.of(), readAll(journal, 0));
        }
    }

    @Test
    void aJournalThatIsFullRefusesAnAppendWithoutWritingIt() throws Exception {
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            readAll(journal, 0);
            List<PendingWrite> half = List.of(write("big", StoredValue.bytes(new byte[WriteAheadJournal.CAPACITY / 2])));
            assertTrue(journal.append(half));
            assertFalse(journal.append(half));
            assertEquals(1, journal.lastSeq(), "nothing was written");
            journal.reset();
            assertTrue(journal.append(half));
        }
    }

    @Test
    void aFileThatIsNotAJournalIsRefusedAndLeftUntouched() throws Exception {
        byte[] foreign = "somebody's notes".getBytes(StandardCharsets.UTF_8);
        Files.write(path(), foreign);
        StoreException e = assertThrows(StoreException.class, () -> open(DATABASE_ID));
        assertTrue(e.getMessage().contains("is not a robustmemory journal"), e.getMessage());
        assertArrayEquals(foreign, Files.readAllBytes(path()));
    }

    @Test
    void aDirectoryAtTheJournalPathIsRefused() throws Exception {
        Files.createDirectory(path());
        StoreException e = assertThrows(StoreException.class, () -> open(DATABASE_ID));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void aNewJournalGetsTheGivenPermissionsAndItsWholeSizeAtOnce() throws Exception {
        WriteAheadJournal.open(path(), Optional.of(PosixFilePermissions.fromString("rw-rw----")), DATABASE_ID).close();
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(path())));
        assertEquals(WriteAheadJournal.CAPACITY, Files.size(path()));
    }

    @Test
    void aReaderThatKnowsWhereItLeftOffGetsOnlyTheLaterWrites() throws Exception {
        WriteAheadJournal.Position known;
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            known = appendFirst(journal, "mine");
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            WriteAheadJournal.CatchUp nothingNew = journal.catchUp(known, 0);
            assertEquals(new WriteAheadJournal.CatchUp(false, List.of()), nothingNew);
            journal.append(List.of(write("theirs", StoredValue.text("2"))));
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            WriteAheadJournal.CatchUp read = journal.catchUp(known, 0);
            assertFalse(read.restarted());
            assertEquals(List.of("theirs"), keysOf(read.writes()));
            assertEquals(2, journal.lastSeq());
        }
    }

    @Test
    void aNewEpochMakesEveryReaderStartOver() throws Exception {
        WriteAheadJournal.Position known;
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            known = appendFirst(journal, "a");
            journal.newEpoch(); // DuckDB is about to be written directly
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            WriteAheadJournal.CatchUp read = journal.catchUp(known, 0);
            assertTrue(read.restarted());
            assertEquals(List.of("a"), keysOf(read.writes()));
            known = journal.position();
            journal.reset();
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(new WriteAheadJournal.CatchUp(true, List.of()), journal.catchUp(known, 1));
            journal.append(List.of(write("b", StoredValue.text("2"))));
            assertEquals(2, journal.lastSeq(), "numbers go on from the applied one");
        }
    }

    @Test
    void theJournalNamesItsLatestClaimant() throws Exception {
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            journal.claim(7);
            assertTrue(journal.isHeldBy(7));
            journal.claim(8);
            assertFalse(journal.isHeldBy(7), "an older grant's batch is refused");
        }
    }

    /** Reads a fresh journal, appends one write and returns the position after it. */
    private static WriteAheadJournal.Position appendFirst(WriteAheadJournal journal, String key) throws StoreException {
        readAll(journal, 0);
        journal.append(List.of(write(key, StoredValue.text("1"))));
        return journal.position();
    }

    private static List<String> keysOf(List<PendingWrite> writes) {
        return writes.stream().map(PendingWrite::key).toList();
    }

    private static List<PendingWrite> readAll(WriteAheadJournal journal, long appliedSeq) throws StoreException {
        return journal.catchUp(null, appliedSeq).writes();
    }

    private WriteAheadJournal open(long databaseId) throws StoreException {
        return WriteAheadJournal.open(path(), Optional.empty(), databaseId);
    }

    private static PendingWrite write(String key, StoredValue value) {
        return PendingWrite.of(new MemoryEntry(key, value, 3, 9));
    }
}
