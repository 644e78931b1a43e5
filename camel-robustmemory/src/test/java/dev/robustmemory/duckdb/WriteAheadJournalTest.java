package dev.robustmemory.duckdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
                PendingWrite.deletion("a", 4, 1));
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
    void expiringValuesKeepTheirExpiryTimeAndTheClockMarkOutlivesTheJournalsUsers() throws Exception {
        PendingWrite expiring = PendingWrite.of(new MemoryEntry("e", StoredValue.json("1"), 3, 9,
                1_767_225_600_000_001L), 1_767_225_000_000_000L);
        List<PendingWrite> writes = List.of(expiring, write("forever", StoredValue.text("x")));
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            readAll(journal, 0);
            journal.raiseClockMark(1_767_225_000_000_000L);
            journal.raiseClockMark(5); // a mark never goes back
            journal.append(writes);
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(writes, readAll(journal, 0));
            assertEquals(1_767_225_000_000_000L, journal.clockMark());
        }
    }

    @Test
    void aJournalOfTheFormatBeforeExpiryIsTakenOverWithItsWritesAndRefusedByThatFormatsReaders() throws Exception {
        List<PendingWrite> writes = List.of(write("a", StoredValue.text("kept")));
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            readAll(journal, 0);
            journal.append(writes);
        }
        try (RandomAccessFile file = new RandomAccessFile(path().toFile(), "rw")) {
            file.write(WriteAheadJournal.UNEXPIRING_MAGIC.getBytes(StandardCharsets.US_ASCII));
            file.seek(48 + 8 * 8 + 4); // the clock mark: zeros, as that format left it
            file.write(new byte[12]);
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(writes, readAll(journal, 0));
            assertEquals(0, journal.clockMark(), "a mark never written reads as 0");
        }
        byte[] magic = new byte[WriteAheadJournal.MAGIC.length()];
        try (RandomAccessFile file = new RandomAccessFile(path().toFile(), "r")) {
            file.readFully(magic);
        }
        assertEquals(WriteAheadJournal.MAGIC, new String(magic, StandardCharsets.US_ASCII),
                "rewritten, so that a library knowing only the older format refuses the journal");
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

    /** A transfer writes two keys in one batch: a reader must never see one without the other. */
    @Test
    void aBatchTornAtAnyByteIsReadWholeOrNotAtAll() throws Exception {
        long start;
        long end;
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            appendFirst(journal, "before");
            start = journal.position().offset();
            journal.append(List.of(write("from", StoredValue.json("90")), write("to", StoredValue.json("110"))));
            end = journal.position().offset();
        }
        byte[] batch = new byte[(int) (end - start)];
        try (RandomAccessFile file = new RandomAccessFile(path().toFile(), "rw")) {
            file.seek(start);
            file.readFully(batch);
        }
        List<String> none = List.of("before");
        List<String> all = List.of("before", "from", "to");
        for (long tear = start; tear < end; tear++) {
            for (boolean truncate : new boolean[]{false, true}) {
                try (RandomAccessFile file = new RandomAccessFile(path().toFile(), "rw")) {
                    file.setLength(WriteAheadJournal.CAPACITY);
                    file.seek(start);
                    file.write(batch);
                    if (truncate) {
                        file.setLength(tear);
                    } else {
                        file.seek(tear);
                        file.write(new byte[(int) (end - tear)]);
                    }
                }
                try (WriteAheadJournal journal = open(DATABASE_ID)) {
                    List<String> read = keysOf(readAll(journal, 0));
                    assertTrue(read.equals(none) || read.equals(all), (truncate ? "truncated" : "zeroed") + " at "
                            + (tear - start) + " of " + batch.length + " bytes, read " + read);
                }
            }
        }
    }

    @Test
    void afterAResetOnlyLaterWritesComeBackAndTheirNumbersGoOn() throws Exception {
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            readAll(journal, 0);
            journal.append(List.of(write("old", StoredValue.text("applied")), write("older", StoredValue.text("too"))));
            journal.startOver(0, false);
            journal.append(List.of(write("new", StoredValue.text("pending"))));
            assertEquals(3, journal.lastSeq());
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of("new"), keysOf(readAll(journal, 2)));
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            readAll(journal, 3);
            journal.startOver(0, false);
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of(), readAll(journal, 3));
        }
    }

    @Test
    void aFailedAppendIsNeverReadNotEvenBehindALaterShorterBatch() throws Exception {
        List<PendingWrite> acknowledged = List.of(write("a", StoredValue.text("1")));
        List<PendingWrite> failed = List.of(write("f1", StoredValue.text("failed")),
                write("f2", StoredValue.text("failed")), write("f3", StoredValue.text("failed")));
        // Record for record the same sizes as the failed batch's first two: its third would follow them exactly.
        List<PendingWrite> later = List.of(write("g1", StoredValue.text("stored")),
                write("g2", StoredValue.text("stored")));
        FaultyDisk disk = new FaultyDisk();
        try (WriteAheadJournal journal = open(DATABASE_ID, disk)) {
            readAll(journal, 0);
            journal.append(acknowledged);
            disk.next(FaultyDisk.Fault.WRITES_THEN_FAILS);
            StoreException e = assertThrows(StoreException.class, () -> journal.append(failed));
            assertTrue(e.getMessage().contains("were not acknowledged"), e.getMessage());
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of("a"), keysOf(readAll(journal, 0)), "the next holder does not see the failed batch");
            journal.append(later);
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of("a", "g1", "g2"), keysOf(readAll(journal, 0)));
        }
    }

    @Test
    void aFailedAppendWhoseErasureIsCutShortIsNeverRead() throws Exception {
        List<PendingWrite> failed = List.of(write("f1", StoredValue.text("failed")),
                write("f2", StoredValue.text("failed")), write("f3", StoredValue.text("failed")),
                write("f4", StoredValue.text("failed")));
        FaultyDisk disk = new FaultyDisk();
        try (WriteAheadJournal journal = open(DATABASE_ID, disk)) {
            appendFirst(journal, "a");
            disk.next(FaultyDisk.Fault.WRITES_THEN_FAILS);
            disk.next(FaultyDisk.Fault.WRITES_HALF_THEN_FAILS); // the erasure zeroes the first two records only
            StoreException e = assertThrows(StoreException.class, () -> journal.append(failed));
            assertTrue(e.getMessage().contains("their outcome is unknown"), e.getMessage());
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of("a"), keysOf(readAll(journal, 0)));
            journal.append(List.of(write("g1", StoredValue.text("stored")), write("g2", StoredValue.text("stored"))));
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of("a", "g1", "g2"), keysOf(readAll(journal, 0)));
        }
    }

    @ParameterizedTest(name = "framed (version 2): {0}")
    @ValueSource(booleans = {false, true})
    void anOlderVersionsJournalIsReadOnceAndItsWritesCarriedOver(boolean framed) throws Exception {
        List<PendingWrite> writes = List.of(write("a", StoredValue.text("1")), write("b", StoredValue.json("2")));
        if (framed) {
            writeFramedJournal(DATABASE_ID, 5, writes);
        } else {
            writeOlderVersionsJournal(DATABASE_ID, 5, writes);
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of("b"), keysOf(readAll(journal, 5)), "a was applied already");
            assertEquals(6, journal.lastSeq());
            journal.append(List.of(write("c", StoredValue.text("3"))));
        }
        try (RandomAccessFile file = new RandomAccessFile(path().toFile(), "r")) {
            byte[] magic = new byte[WriteAheadJournal.MAGIC.length()];
            file.readFully(magic);
            assertEquals(WriteAheadJournal.MAGIC, new String(magic, StandardCharsets.US_ASCII));
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of("b", "c"), keysOf(readAll(journal, 5)));
        }
    }

    @Test
    void anOlderVersionsJournalOfAnotherDatabaseIsNeverReplayed() throws Exception {
        writeOlderVersionsJournal(DATABASE_ID + 1, 1, List.of(write("from-a-deleted-database", StoredValue.text("x"))));
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of(), readAll(journal, 0));
        }
    }

    @ParameterizedTest(name = "replaced by another file: {0}")
    @ValueSource(booleans = {false, true})
    void aBatchIsNeverAcknowledgedIntoAJournalNoLongerAtItsPath(boolean replaced) throws Exception {
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            appendFirst(journal, "a");
            Path elsewhere = Files.move(path(), directory.resolve("moved-away"));
            if (replaced) {
                Files.copy(elsewhere, path());
            }
            StoreException e = assertThrows(StoreException.class,
                    () -> journal.append(List.of(write("b", StoredValue.text("2")))));
            assertTrue(e.getMessage().contains(replaced ? "was replaced" : "was deleted"), e.getMessage());
            assertTrue(e.getMessage().contains("were not acknowledged"), e.getMessage());
        }
    }

    @Test
    void aDeletedJournalThatTheDatabaseKnewIsReportedAndANewOneStarted() throws Exception {
        long known = journalHolding("lost");
        Files.delete(path());
        long next;
        try (WriteAheadJournal journal = openKnowing(known)) {
            String report = journal.lostPredecessor().orElseThrow().getMessage();
            assertTrue(report.contains("was deleted or replaced"), report);
            assertTrue(report.contains("acknowledged writes not yet applied to the database may be lost"), report);
            next = journal.id();
            assertNotEquals(known, next);
            assertEquals(List.of(), readAll(journal, 0));
        }
        try (WriteAheadJournal journal = openKnowing(next)) {
            assertEquals(Optional.empty(), journal.lostPredecessor(), "reported by the journal that replaced it only");
        }
    }

    @Test
    void aReplacedJournalIsReportedAndKeptAsideButNeverReplayed() throws Exception {
        long known = journalHolding("mine");
        Files.move(path(), directory.resolve("moved-away"));
        journalHolding("of-another-copy");
        byte[] replacement = Files.readAllBytes(path());
        try (WriteAheadJournal journal = openKnowing(known)) {
            assertTrue(journal.lostPredecessor().isPresent());
            assertEquals(List.of(), readAll(journal, 0));
        }
        List<Path> keptAside;
        try (Stream<Path> files = Files.list(directory)) {
            keptAside = files.filter(file -> file.getFileName().toString().startsWith("memory.duckdb.journal.replaced-"))
                    .toList();
        }
        assertEquals(1, keptAside.size(), "the file found at the path is kept: " + keptAside);
        assertArrayEquals(replacement, Files.readAllBytes(keptAside.get(0)));
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
            journal.startOver(0, false);
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
    void aFileOfForeignBytesAmongZerosIsRefusedAndLeftUntouched() throws Exception {
        byte[] foreign = new byte[WriteAheadJournal.CAPACITY];
        foreign[WriteAheadJournal.CAPACITY / 2] = 1;
        Files.write(path(), foreign);
        StoreException e = assertThrows(StoreException.class, () -> open(DATABASE_ID));
        assertTrue(e.getMessage().contains("is not a robustmemory journal"), e.getMessage());
        assertArrayEquals(foreign, Files.readAllBytes(path()));
    }

    /** What an older version's creation, which allocated the file in place and wrote the magic last, left behind. */
    @ParameterizedTest(name = "{0} zero bytes")
    @ValueSource(ints = {0, 64 * 1024, WriteAheadJournal.CAPACITY})
    void aJournalWhoseCreationWasInterruptedIsCreatedAgain(int zeros) throws Exception {
        Files.write(path(), new byte[zeros]);
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            appendFirst(journal, "a");
        }
        assertEquals(WriteAheadJournal.CAPACITY, Files.size(path()));
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(List.of("a"), keysOf(readAll(journal, 0)));
        }
    }

    @Test
    void aCreationThatFailsHalfWayLeavesNoFileAtThePathAndTheNextOneSucceeds() throws Exception {
        FaultyDisk disk = new FaultyDisk();
        disk.next(FaultyDisk.Fault.WRITES_HALF_THEN_FAILS);
        assertThrows(StoreException.class, () -> open(DATABASE_ID, disk));
        assertFalse(Files.exists(path()), "a journal at the path is always whole");
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            appendFirst(journal, "a");
        }
        try (Stream<Path> files = Files.list(directory)) {
            assertEquals(List.of(path()), files.toList(), "the interrupted creation left nothing behind");
        }
    }

    @Test
    void aDirectoryAtTheJournalPathIsRefused() throws Exception {
        Files.createDirectory(path());
        StoreException e = assertThrows(StoreException.class, () -> open(DATABASE_ID));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void aNewJournalGetsTheGivenPermissionsAndItsWholeSizeAtOnce() throws Exception {
        WriteAheadJournal.open(path(), Optional.of(PosixFilePermissions.fromString("rw-rw----")),
                databaseKnowing(WriteAheadJournal.NO_JOURNAL)).close();
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
            WriteAheadJournal.CatchUp nothingNew = catchUp(journal, known);
            assertEquals(new WriteAheadJournal.CatchUp(WriteAheadJournal.Continuity.ONWARD, List.of()), nothingNew);
            journal.append(List.of(write("theirs", StoredValue.text("2"))));
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            WriteAheadJournal.CatchUp read = catchUp(journal, known);
            assertEquals(WriteAheadJournal.Continuity.ONWARD, read.continuity());
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
            WriteAheadJournal.CatchUp read = catchUp(journal, known);
            assertEquals(WriteAheadJournal.Continuity.RESTARTED, read.continuity());
            assertEquals(List.of("a"), keysOf(read.writes()));
            known = journal.position();
            journal.startOver(0, false);
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(new WriteAheadJournal.CatchUp(WriteAheadJournal.Continuity.RESTARTED, List.of()),
                    catchUp(journal, known));
            journal.append(List.of(write("b", StoredValue.text("2"))));
            assertEquals(2, journal.lastSeq(), "numbers go on from the applied one");
        }
    }

    @Test
    void aStartOverThatOnlyAppliedKeepsWhatAReaderAtTheEndKnewAndNoOneElse() throws Exception {
        WriteAheadJournal.Position atTheEnd;
        WriteAheadJournal.Position behind;
        List<PendingWrite> later = List.of(write("c", StoredValue.text("3")));
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            behind = appendFirst(journal, "a");
            journal.append(List.of(write("b", StoredValue.text("2"))));
            atTheEnd = journal.position();
            journal.startOver(7, true); // the database now holds a and b, and nothing else changed
            journal.append(later);
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(new WriteAheadJournal.CatchUp(WriteAheadJournal.Continuity.AFTER_APPLY,
                    later), catchUp(journal, atTheEnd));
            assertEquals(7, journal.appliedRevision());
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(new WriteAheadJournal.CatchUp(WriteAheadJournal.Continuity.RESTARTED,
                    later), catchUp(journal, behind), "it missed b");
        }
    }

    @Test
    void aDirectWriteToTheDatabaseMakesTheNextClaimantAskTheDatabase() throws Exception {
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            appendFirst(journal, "a");
            journal.newEpoch(); // a clear is about to commit; this process dies before starting over
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            journal.claim();
            assertTrue(journal.needsDatabaseState());
            assertThrows(IllegalStateException.class, () -> journal.catchUp(null));
            journal.recordDatabaseState(1, 5);
            assertFalse(journal.needsDatabaseState());
            assertEquals(List.of(), journal.catchUp(null).writes(), "the database holds a already");
        }
    }

    @Test
    void everyClaimGetsTheNextTokenAboveTheDatabasesAndTheJournalNamesTheLatest() throws Exception {
        long first;
        try (WriteAheadJournal journal = WriteAheadJournal.open(path(), Optional.empty(),
                new Schema.JournalState(DATABASE_ID, 0, 0, WriteAheadJournal.NO_JOURNAL, 41))) {
            first = journal.claim();
            assertEquals(42, first, "a new journal starts above the database's latest token");
            assertTrue(journal.isHeldBy(first));
        }
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            assertEquals(first + 1, journal.claim());
            assertFalse(journal.isHeldBy(first), "an older grant's batch is refused");
        }
    }

    /** Creates the journal with one write, as a database that knows none would; returns the journal's id. */
    private long journalHolding(String key) throws StoreException {
        try (WriteAheadJournal journal = open(DATABASE_ID)) {
            appendFirst(journal, key);
            return journal.id();
        }
    }

    /** Reads a fresh journal, appends one write and returns the position after it. */
    private static WriteAheadJournal.Position appendFirst(WriteAheadJournal journal, String key) throws StoreException {
        readAll(journal, 0);
        journal.append(List.of(write(key, StoredValue.text("1"))));
        return journal.position();
    }

    /**
     * A journal as the version before batch frames wrote it ({@value WriteAheadJournal#LEGACY_MAGIC}): one record
     * {@code [int length][int crc32c][long seq][record]} per write, numbered from {@code firstSeq}. Text values only.
     */
    private void writeOlderVersionsJournal(long databaseId, long firstSeq, List<PendingWrite> writes)
            throws IOException {
        ByteBuffer journal = ByteBuffer.allocate(WriteAheadJournal.CAPACITY);
        journal.put(WriteAheadJournal.LEGACY_MAGIC.getBytes(StandardCharsets.US_ASCII));
        journal.putLong(32, databaseId).putLong(40, 1).position(64);
        long seq = firstSeq;
        for (PendingWrite write : writes) {
            byte[] record = textRecord(write);
            ByteBuffer body = ByteBuffer.allocate(8 + record.length).putLong(seq++).put(record);
            CRC32C crc = new CRC32C();
            crc.update(body.array());
            journal.putInt(body.capacity()).putInt((int) crc.getValue()).put(body.array());
        }
        Files.write(path(), journal.array());
    }

    /**
     * A journal as version 2 wrote it ({@value WriteAheadJournal#FRAMED_MAGIC}): after a 64-byte header, one frame
     * {@code [int length][int crc32c][long firstSeq][int count][records]} per write here, numbered from
     * {@code firstSeq}. Text values only.
     */
    private void writeFramedJournal(long databaseId, long firstSeq, List<PendingWrite> writes) throws IOException {
        ByteBuffer journal = ByteBuffer.allocate(WriteAheadJournal.CAPACITY);
        journal.put(WriteAheadJournal.FRAMED_MAGIC.getBytes(StandardCharsets.US_ASCII));
        journal.putLong(32, databaseId).putLong(40, 1).putLong(56, 77).position(64);
        long seq = firstSeq;
        for (PendingWrite write : writes) {
            byte[] record = textRecord(write);
            ByteBuffer body = ByteBuffer.allocate(12 + record.length).putLong(seq++).putInt(1).put(record);
            CRC32C crc = new CRC32C();
            crc.update(body.array());
            journal.putInt(body.capacity()).putInt((int) crc.getValue()).put(body.array());
        }
        Files.write(path(), journal.array());
    }

    /** {@code [byte kind][long revision][long fencingToken][long writtenMicros][key][value]}, lengths before each. */
    private static byte[] textRecord(PendingWrite write) {
        MemoryEntry entry = write.entry().orElseThrow();
        byte[] key = write.key().getBytes(StandardCharsets.UTF_8);
        byte[] value = entry.value().text().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(33 + key.length + value.length)
                .put((byte) (1 + entry.value().kind().ordinal())).putLong(write.revision())
                .putLong(entry.fencingToken()).putLong(write.writtenMicros())
                .putInt(key.length).put(key).putInt(value.length).put(value).array();
    }

    private static List<String> keysOf(List<PendingWrite> writes) {
        return writes.stream().map(PendingWrite::key).toList();
    }

    /** Claims the journal as a lease of a database that holds the records up to {@code appliedSeq}, and reads it all. */
    private static List<PendingWrite> readAll(WriteAheadJournal journal, long appliedSeq) throws StoreException {
        journal.claim();
        journal.recordDatabaseState(appliedSeq, 0);
        return journal.catchUp(null).writes();
    }

    /** Claims the journal as a lease would and reads on from {@code known}, asking a database that holds nothing. */
    private static WriteAheadJournal.CatchUp catchUp(WriteAheadJournal journal, WriteAheadJournal.Position known)
            throws StoreException {
        journal.claim();
        if (journal.needsDatabaseState()) {
            journal.recordDatabaseState(0, 0);
        }
        return journal.catchUp(known);
    }

    /** Opens the journal as a lease of a database that knows no journal yet (or of an older version) would. */
    private WriteAheadJournal open(long databaseId) throws StoreException {
        return open(databaseId, WriteAheadJournal.Disk.FILE_SYSTEM);
    }

    private WriteAheadJournal open(long databaseId, WriteAheadJournal.Disk disk) throws StoreException {
        return WriteAheadJournal.open(path(), Optional.empty(),
                new Schema.JournalState(databaseId, 0, 0, WriteAheadJournal.NO_JOURNAL, 0), disk);
    }

    /** Opens the journal as a lease of a database that knows the journal with this id would. */
    private WriteAheadJournal openKnowing(long journalId) throws StoreException {
        return WriteAheadJournal.open(path(), Optional.empty(), databaseKnowing(journalId));
    }

    /** A database of {@link #DATABASE_ID} that holds nothing and knows the journal with this id. */
    private static Schema.JournalState databaseKnowing(long journalId) {
        return new Schema.JournalState(DATABASE_ID, 0, 0, journalId, 0);
    }

    private static PendingWrite write(String key, StoredValue value) {
        return PendingWrite.of(new MemoryEntry(key, value, 3, 9), 1_767_225_600_000_000L);
    }

    /** The file system, except that the calls told to fail do so, as a dying disk or a failed {@code fsync} does. */
    private static final class FaultyDisk implements WriteAheadJournal.Disk {

        enum Fault {
            /** The bytes reach the page cache (every reader sees them); the {@code fsync} fails. */
            WRITES_THEN_FAILS,
            /** Only the first half of the bytes is written, then the write fails: a crash in the middle of it. */
            WRITES_HALF_THEN_FAILS,
            /** Nothing is written. */
            FAILS
        }

        private final Deque<Fault> faults = new ArrayDeque<>();

        /** The next call (after those already told to fail) fails this way. */
        void next(Fault fault) {
            faults.add(fault);
        }

        @Override
        public void writeAndSync(RandomAccessFile file, long offset, byte[] bytes) throws IOException {
            Fault fault = faults.poll();
            if (fault == null) {
                FILE_SYSTEM.writeAndSync(file, offset, bytes);
                return;
            }
            if (fault != Fault.FAILS) {
                file.seek(offset);
                file.write(bytes, 0, fault == Fault.WRITES_THEN_FAILS ? bytes.length : bytes.length / 2);
            }
            throw new IOException("injected disk failure: " + fault);
        }
    }
}
