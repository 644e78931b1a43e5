package dev.robustmemory.duckdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;

import dev.robustmemory.memory.MemoryEntry;
import dev.robustmemory.memory.StoreException;
import dev.robustmemory.memory.StoredValue;
import dev.robustmemory.memory.ValueKind;

/**
 * The memory's own write-ahead journal, {@code <database>.journal}: where writes become durable before they are
 * acknowledged, so that a batch costs one write and one {@code fsync} instead of DuckDB upserts (about 1.5 ms per
 * statement), and the log every process reads to learn what the others wrote since it last held the lock.
 *
 * <p><b>Life of a batch.</b> A holder appends its batches, each whole or not at all. Whoever holds the lock next
 * first reads what was appended since it last looked ({@link #catchUp}); the writes not yet in DuckDB are answered
 * from memory by every process. Now and then a holder applies them all to DuckDB in one transaction that also records
 * the last sequence number applied ({@code journal_applied} in the database), and then starts the journal over
 * ({@link #startOver}).
 *
 * <p><b>What a grant needs is here.</b> The header holds the fencing token of the latest grant and what DuckDB
 * holds of the journal, so that a grant reads and writes this page only ({@link #claim}, {@link #catchUp}), and
 * DuckDB is opened only by a lease that needs SQL or applies the journal.
 *
 * <p><b>Format {@value #MAGIC}.</b> A {@value #CAPACITY}-byte file, allocated once so that appends overwrite
 * allocated blocks (an {@code fsync} then flushes data only, not the file size), and created whole in one step
 * (written beside the path as {@code <journal>.creating}, synced, renamed into place, the directory synced): a file
 * at the path is never a half-made journal. A {@value #HEADER_SIZE}-byte header: the magic; at byte
 * {@value #DATABASE_ID_OFFSET} the database's id (a journal left behind by a deleted database is never replayed into
 * a new one); at {@value #JOURNAL_ID_OFFSET} the journal's own id, drawn when it was created ({@link #id()}); at
 * {@value #STATE_OFFSET} the state block, six longs written together: the epoch, which grows whenever the journal
 * starts over or DuckDB is about to be written directly; the fencing token of the latest grant (synced at each
 * grant); the sequence number and the revision DuckDB holds up to, and the epoch in which they were recorded (they
 * are trusted only while it is the current one); and the sequence number the epoch started after when starting over
 * only applied the journal ({@value #KNOWLEDGE_VOID} otherwise). Right after it, with a CRC of its own, the clock
 * mark: the latest time by which any process decided expiry ({@link ExpiryClock}). Frames start at byte
 * {@value #HEADER_SIZE}: one per batch (one {@link #append}), big-endian: {@code [int length][int crc32c]} and a body
 * of {@code length} bytes, {@code [long firstSeq][int count]} and {@code count} records {@code [byte kind][long
 * revision][long fencingToken][long writtenMicros]([long expiresAtMicros])[int keyLength][key][int
 * valueLength][value]}, numbered {@code firstSeq, firstSeq + 1, ...}; kind 0 is a deletion and 1 +
 * {@link ValueKind#ordinal()} a value, plus {@value #EXPIRES} for a value that expires, whose record then holds its
 * expiry time; the CRC covers the body. Each frame is written and synced together with
 * {@value #TERMINATOR_SIZE} zero bytes after it, where the next frame will start.
 *
 * <p><b>Reading.</b> A batch is read whole or not at all: reading stops at the first frame that is torn (cut short,
 * or failing its CRC anywhere in its records), whose body does not parse exactly into its records, or that does not
 * continue the numbering of the frame before it. What follows it was never acknowledged: a batch is acknowledged once
 * it and the zeros after it are synced, and the next one starts on those zeros, so reading never runs into older
 * bytes beyond. Frames left over from before a reset carry numbers already applied, and a failed append is erased
 * (overwritten with zeros and synced) before its failure is reported; should the erasure fail too, the failure says
 * that the outcome is unknown. A journal cut short by another program is read up to the cut and lengthened again.
 *
 * <p><b>Identity.</b> The database records the id of the journal before anything is appended to it ({@code
 * journal_id}), so that a lease that finds it missing or replaced reports that acknowledged writes may be lost
 * ({@link #lostPredecessor()}) instead of silently starting over. A batch is acknowledged only while the file it was
 * synced into is still the one at the path (compared by file key, as the lock file is): one appended into a journal
 * deleted or replaced meanwhile fails.
 *
 * <p><b>Older journals.</b> A {@value #UNEXPIRING_MAGIC} journal is one of this format without expiring values and
 * without a clock mark: its magic is rewritten, under the lock, before anything else is written to it. A
 * {@value #FRAMED_MAGIC} journal (frames after a 64-byte header) or a
 * {@value #LEGACY_MAGIC} journal (written before batches had frames) may hold acknowledged writes not yet applied:
 * one of this database is read once, as that version read it, and replaced by a {@value #MAGIC} journal holding those
 * writes as one batch, whose state block is taken from the database. A file of zeros only, perhaps short, is what the
 * first version's interrupted creation left (it allocated in place and wrote the magic last): it is created again. Anything else without a magic is refused and left untouched.
 *
 * <p>Used by a lease thread under the cross-process lock only. A {@link RandomAccessFile}, unlike a channel, is not
 * closed by an interrupt. The state block is synced at a grant and before DuckDB is written directly, and otherwise
 * with the next append: after a power loss it may say that DuckDB holds less of the journal than it does, and the
 * writes replayed again are the same writes.
 */
final class WriteAheadJournal implements AutoCloseable {

    static final int CAPACITY = 4 * 1024 * 1024;
    static final String MAGIC = "robustmemory-journal/4";
    /**
     * The format before entries could expire: its records are records of this format, so a journal of it is taken
     * over as it is, its magic rewritten first (a library that knows only that format then refuses it).
     */
    static final String UNEXPIRING_MAGIC = "robustmemory-journal/3";
    /** The format before batches had frames. */
    static final String LEGACY_MAGIC = "robustmemory-journal/1";
    /** The format before the header held the state a grant needs. */
    static final String FRAMED_MAGIC = "robustmemory-journal/2";
    /** One page, apart from the frames that follow. */
    private static final int HEADER_SIZE = 4096;
    /** Where an older format's frames start. */
    private static final int OLDER_HEADER_SIZE = 64;
    private static final int DATABASE_ID_OFFSET = 32;
    private static final int JOURNAL_ID_OFFSET = 40;
    /**
     * The state block: epoch, holder token, applied seq, applied revision, applied epoch, reset-at seq, synced end,
     * synced seq, and a CRC of them (a reader without the lock may catch a write half done).
     */
    private static final int STATE_OFFSET = 48;
    private static final int STATE_LONGS = 8;
    private static final int STATE_SIZE = STATE_LONGS * Long.BYTES + Integer.BYTES;
    private static final int HOLDER_TOKEN_OFFSET = STATE_OFFSET + Long.BYTES;
    /** The clock mark after the state block, with a CRC of its own: zeros (as a /3 journal has there) read as 0. */
    private static final int CLOCK_SIZE = Long.BYTES + Integer.BYTES;
    /** The reset-at seq when the database was written directly: what anyone knew may be void. */
    private static final long KNOWLEDGE_VOID = -1;
    /** The journal id a database knows before any journal was recorded in it. */
    static final long NO_JOURNAL = 0;
    /** length and crc. */
    private static final int FRAME_SIZE = 8;
    /** first seq and count. */
    private static final int BATCH_HEADER_SIZE = 8 + 4;
    /** kind, revision, fencing token, written-at, key length, value length. */
    private static final int FIXED_RECORD_SIZE = 1 + 8 + 8 + 8 + 4 + 4;
    /** Added to a value's kind byte when an expiry time follows its written-at. */
    private static final byte EXPIRES = 0x10;
    /** Zeros after the last frame: a length no frame has, so that a reader stops there. */
    private static final int TERMINATOR_SIZE = FRAME_SIZE;
    private static final byte DELETED = 0;
    private static final System.Logger LOG = System.getLogger(WriteAheadJournal.class.getName());

    /**
     * Where the journal's bytes meet the disk: writes bytes at an offset and syncs them. A seam for tests that make
     * the disk fail after the bytes were written, as a dying disk or a failed {@code fsync} does.
     */
    interface Disk {

        Disk FILE_SYSTEM = (file, offset, bytes) -> {
            file.seek(offset);
            file.write(bytes);
            file.getFD().sync();
        };

        void writeAndSync(RandomAccessFile file, long offset, byte[] bytes) throws IOException;
    }

    private final Path path;
    private final RandomAccessFile file;
    private final Disk disk;
    private final long capacity;
    private final long id;
    /** The identity of the file opened, which must still be the one at the path when a batch is acknowledged. */
    private final Object fileKey;
    private final StoreException lostPredecessor;
    private long appendAt = HEADER_SIZE;
    private long lastSeq;
    // The state block as last read or written; the lock holder's, so only it writes.
    private long epoch;
    private long holderToken;
    private long appliedSeq;
    private long appliedRevision;
    /** The epoch in which appliedSeq and appliedRevision were recorded: they hold only while it is the epoch. */
    private long appliedEpoch;
    /** The seq the epoch started after, when starting over only applied the journal: see {@link Continuity}. */
    private long resetAtSeq;
    /** Where the acknowledged (synced) frames end, and the last seq they hold: what a reader without the lock reads. */
    private long syncedEnd = HEADER_SIZE;
    private long syncedSeq;
    /** The latest time, in microseconds, any process decided expiry by ({@link ExpiryClock}); written with the state. */
    private long clockMark;
    private boolean clockMarkUnwritten;

    /**
     * How far a process has read the journal: every batch before {@code offset}, the last numbered {@code seq}, in
     * {@code epoch}.
     */
    record Position(long epoch, long offset, long seq) {
    }

    /** How what a reader read follows on from what it knew. */
    enum Continuity {
        /** The journal went on from where the reader left off: all it knew holds. */
        ONWARD,
        /**
         * The journal was started over after all the reader knew was applied to the database, which nothing else
         * wrote meanwhile: what it knew of the values holds, and none of it is pending any more.
         */
        AFTER_APPLY,
        /** What the reader knew may be void (it knew nothing, missed batches, or the database was written directly). */
        RESTARTED
    }

    /**
     * What {@link #catchUp} read.
     *
     * @param continuity how it follows on from what the reader knew
     * @param writes     the writes the reader did not know, oldest first: after a restart only those DuckDB lacks,
     *                   otherwise every one (some may be applied already; each carries the key's latest state)
     */
    record CatchUp(Continuity continuity, List<PendingWrite> writes) {
    }

    /** Writes numbered {@code firstSeq} on, read from the bytes before {@code end}. */
    private record Batch(long firstSeq, List<PendingWrite> writes, long end) {

        long lastSeq() {
            return firstSeq + writes.size() - 1;
        }
    }

    private WriteAheadJournal(Path path, RandomAccessFile file, Disk disk, Object fileKey,
                              StoreException lostPredecessor) throws IOException {
        this.path = path;
        this.file = file;
        this.disk = disk;
        this.fileKey = fileKey;
        this.lostPredecessor = lostPredecessor;
        this.capacity = file.length();
        this.id = readLong(file, JOURNAL_ID_OFFSET);
    }

    /**
     * Opens the journal of the database with the given id, which knows the journal {@code knownJournalId}
     * ({@link #NO_JOURNAL} when it knows none yet). The journal at the path is used when it is that one (or, knowing
     * none, when it is this database's). Otherwise a new one is created, with the given permissions:
     * <ul>
     * <li>knowing none, when there is no file, when the file is what an interrupted creation left (zeros only,
     * perhaps short), when it is the journal of another database, and in place of an older version's journal of this
     * database, whose writes it then holds;</li>
     * <li>knowing one that is not at the path (deleted, or replaced by any other file but a foreign one), in any
     * case: the new journal then reports the loss ({@link #lostPredecessor()}), and a journal found at the path is
     * kept as {@code <journal>.replaced-<milliseconds>}, never replayed.</li>
     * </ul>
     *
     * @throws StoreException when the path is a directory or a file that is not a robustmemory journal (left
     *                        untouched), or cannot be read or written
     */
    static WriteAheadJournal open(Path path, Optional<Set<PosixFilePermission>> permissions,
                                  Schema.JournalState database) throws StoreException {
        return open(path, permissions, database, Disk.FILE_SYSTEM);
    }

    static WriteAheadJournal open(Path path, Optional<Set<PosixFilePermission>> permissions,
                                  Schema.JournalState database, Disk disk) throws StoreException {
        long databaseId = database.databaseId();
        long knownJournalId = database.journalId();
        if (Files.isDirectory(path)) {
            throw new StoreException("The journal path " + path + " is a directory; it must be the memory's journal"
                                     + " file, which holds acknowledged writes not yet in the database");
        }
        try {
            Found found = Found.at(path);
            StoreException lost = null;
            byte[] replacement;
            if (knownJournalId != NO_JOURNAL && !found.isJournal(databaseId, knownJournalId)) {
                lost = lostJournal(path, knownJournalId, found);
                replacement = newJournal(database, List.of());
            } else {
                replacement = replacementFor(path, found, database);
            }
            if (replacement != null) {
                create(path, permissions, replacement, disk);
            }
            Object fileKey = fileKey(path);
            RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw");
            try {
                if (fileKey == null || !fileKey.equals(fileKey(path))) {
                    throw new StoreException("The journal " + path + " was replaced while being opened, by another"
                                             + " program (this library never does so outside the lock)");
                }
                lengthenIfCut(path, file, disk);
                upgradeIfUnexpiring(file, disk);
                return new WriteAheadJournal(path, file, disk, fileKey, lost);
            } catch (IOException | RuntimeException e) {
                file.close();
                throw e;
            }
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException("Cannot open the journal " + path + ": " + e, e);
        }
    }

    /** What is at the journal path, with the ids of its header when it is a journal. */
    private record Found(Kind kind, long databaseId, long journalId) {

        enum Kind {
            NO_FILE,
            /** Zeros only (perhaps short), or a magic and less than a header: an interrupted creation's leftover. */
            NOTHING_WRITTEN,
            JOURNAL,
            /** A {@value #FRAMED_MAGIC} journal. */
            FRAMED_JOURNAL,
            /** A {@value #LEGACY_MAGIC} journal. */
            LEGACY_JOURNAL;

            boolean isOlderJournal() {
                return this == FRAMED_JOURNAL || this == LEGACY_JOURNAL;
            }
        }

        /** @throws StoreException when the file there has foreign content: it might be someone's data */
        static Found at(Path path) throws IOException, StoreException {
            if (!Files.exists(path)) {
                return new Found(Kind.NO_FILE, 0, NO_JOURNAL);
            }
            try (RandomAccessFile found = new RandomAccessFile(path.toFile(), "r")) {
                if (startsWith(found, MAGIC) || startsWith(found, UNEXPIRING_MAGIC)) {
                    return found.length() < HEADER_SIZE ? new Found(Kind.NOTHING_WRITTEN, 0, NO_JOURNAL)
                           : new Found(Kind.JOURNAL, readLong(found, DATABASE_ID_OFFSET),
                                   readLong(found, JOURNAL_ID_OFFSET));
                }
                boolean framed = startsWith(found, FRAMED_MAGIC);
                if (framed || startsWith(found, LEGACY_MAGIC)) {
                    return found.length() < OLDER_HEADER_SIZE ? new Found(Kind.NOTHING_WRITTEN, 0, NO_JOURNAL)
                           : new Found(framed ? Kind.FRAMED_JOURNAL : Kind.LEGACY_JOURNAL,
                                   readLong(found, DATABASE_ID_OFFSET), NO_JOURNAL);
                }
                if (holdsZerosOnly(found)) {
                    return new Found(Kind.NOTHING_WRITTEN, 0, NO_JOURNAL);
                }
            }
            throw new StoreException(path + " is not a robustmemory journal (it does not start with '" + MAGIC
                                     + "', '" + UNEXPIRING_MAGIC + "', '" + FRAMED_MAGIC + "' or '" + LEGACY_MAGIC
                                     + "', nor holds only zeros);"
                                     + " it was left untouched."
                                     + " Move it away if it is not this memory's");
        }

        boolean isJournal(long ofDatabase, long withId) {
            return kind == Kind.JOURNAL && databaseId == ofDatabase && journalId == withId;
        }

        @Override
        public String toString() {
            return switch (kind) {
                case NO_FILE -> "no file";
                case NOTHING_WRITTEN -> "a file that holds nothing";
                case JOURNAL -> "journal " + Long.toHexString(journalId) + " of database " + databaseId;
                case FRAMED_JOURNAL -> "a " + FRAMED_MAGIC + " journal of database " + databaseId;
                case LEGACY_JOURNAL -> "a " + LEGACY_MAGIC + " journal of database " + databaseId;
            };
        }
    }

    /**
     * When the database knows no journal or the one found: what must be put at the path before the journal there can
     * be used; null when it is this database's journal.
     */
    private static byte[] replacementFor(Path path, Found found, Schema.JournalState database) throws IOException {
        switch (found.kind()) {
            case NO_FILE:
                return newJournal(database, List.of());
            case NOTHING_WRITTEN:
                LOG.log(System.Logger.Level.INFO, path + " holds nothing (zeros only, or less than a header), as an"
                        + " interrupted creation leaves it; it is created again");
                return newJournal(database, List.of());
            default:
                if (found.databaseId() != database.databaseId()) {
                    LOG.log(System.Logger.Level.WARNING, path + " was the journal of another database (id "
                            + found.databaseId() + ", this one is " + database.databaseId() + "), probably one"
                            + " deleted with its journal left behind; it is started over for this database");
                    return newJournal(database, List.of());
                }
                return found.kind() == Found.Kind.JOURNAL ? null : newJournal(database, readOlder(path, found));
        }
    }

    /**
     * The database knew a journal that is not at the path any more: reports it, and keeps a journal found there
     * aside (it may be a copy someone restored; replaying it could bring back stale writes).
     */
    private static StoreException lostJournal(Path path, long knownJournalId, Found found) throws IOException {
        String keptAside = "";
        if (found.kind() == Found.Kind.JOURNAL || found.kind().isOlderJournal()) {
            Path aside = path.resolveSibling(path.getFileName() + ".replaced-" + System.currentTimeMillis());
            Files.move(path, aside, StandardCopyOption.ATOMIC_MOVE); // the creation after it syncs the directory
            keptAside = "; the file found there is kept as " + aside + ", and never replayed";
        }
        StoreException lost = new StoreException("The journal " + path + " was deleted or replaced; acknowledged"
                + " writes not yet applied to the database may be lost. The database knew journal "
                + Long.toHexString(knownJournalId) + ", the path held " + found + ". A new journal was started"
                + keptAside);
        LOG.log(System.Logger.Level.ERROR, lost.getMessage());
        return lost;
    }

    /** The identity of the file at the path (device and inode on Linux); null when there is none. */
    private static Object fileKey(Path path) {
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            return key != null ? key : path; // a file system without file keys: only a deletion is seen
        } catch (IOException e) {
            return null;
        }
    }

    /** A {@value #UNEXPIRING_MAGIC} journal becomes a {@value #MAGIC} one: same records, a clock mark read as 0. */
    private static void upgradeIfUnexpiring(RandomAccessFile file, Disk disk) throws IOException {
        if (startsWith(file, UNEXPIRING_MAGIC)) {
            disk.writeAndSync(file, 0, MAGIC.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static boolean startsWith(RandomAccessFile file, String magic) throws IOException {
        byte[] expected = magic.getBytes(StandardCharsets.US_ASCII);
        byte[] found = new byte[expected.length];
        file.seek(0);
        return file.read(found) == found.length && Arrays.equals(expected, found);
    }

    private static boolean holdsZerosOnly(RandomAccessFile file) throws IOException {
        if (file.length() > CAPACITY) {
            return false; // no creation ever made a longer file
        }
        byte[] chunk = new byte[64 * 1024];
        file.seek(0);
        for (int read; (read = file.read(chunk)) > 0; ) {
            for (int i = 0; i < read; i++) {
                if (chunk[i] != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The writes of an older version's journal, as that version read them, in one batch (none when it held none):
     * a {@value #FRAMED_MAGIC} journal's frames, or a {@value #LEGACY_MAGIC} journal's records (one write each,
     * {@code [int length][int crc32c][long seq]} and the record); the chain ends at the first torn frame or record,
     * or break in the numbering, so its writes are numbered on without a gap.
     */
    private static List<Batch> readOlder(Path path, Found found) throws IOException {
        Optional<Batch> carried;
        try (RandomAccessFile older = new RandomAccessFile(path.toFile(), "r")) {
            carried = found.kind() == Found.Kind.FRAMED_JOURNAL ? readFramedBatches(older) : readLegacyRecords(older);
        }
        LOG.log(System.Logger.Level.INFO, path + " is a journal of an older version (" + found + "); its "
                + carried.map(batch -> batch.writes().size()).orElse(0) + " writes are carried over into a new "
                + MAGIC + " journal");
        return carried.stream().toList();
    }

    private static Optional<Batch> readFramedBatches(RandomAccessFile framed) throws IOException {
        long position = OLDER_HEADER_SIZE;
        long seq = -1;
        List<PendingWrite> writes = new ArrayList<>();
        long firstSeq = 0;
        for (Batch batch; (batch = readBatch(framed, position, framed.length(), seq)) != null; ) {
            if (seq < 0) {
                firstSeq = batch.firstSeq();
            }
            writes.addAll(batch.writes());
            seq = batch.lastSeq();
            position = batch.end();
        }
        return writes.isEmpty() ? Optional.empty() : Optional.of(new Batch(firstSeq, writes, position));
    }

    private static Optional<Batch> readLegacyRecords(RandomAccessFile legacy) throws IOException {
        long position = OLDER_HEADER_SIZE;
        long seq = -1;
        List<PendingWrite> writes = new ArrayList<>();
        long firstSeq = 0;
        long end = legacy.length();
        for (ByteBuffer body; (body = readFrameBody(legacy, position, end, 8 + FIXED_RECORD_SIZE)) != null; ) {
            long next = body.getLong();
            List<PendingWrite> record = decodeRecords(body, 1);
            if ((seq >= 0 && next != seq + 1) || record == null) {
                break;
            }
            if (seq < 0) {
                firstSeq = next;
            }
            seq = next;
            writes.addAll(record);
            position += FRAME_SIZE + body.capacity();
        }
        return writes.isEmpty() ? Optional.empty() : Optional.of(new Batch(firstSeq, writes, position));
    }

    /**
     * An empty journal, or one holding the given batches: the database id, a random first epoch (a reader that knew
     * an earlier file of this name must start over), zeros up to the capacity.
     */
    private static byte[] newJournal(Schema.JournalState database, List<Batch> carried) {
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        for (Batch batch : carried) {
            frames.writeBytes(encodeBatch(batch.firstSeq(), batch.writes(), Long.MAX_VALUE));
        }
        ByteBuffer image = ByteBuffer.allocate(Math.max(CAPACITY, HEADER_SIZE + frames.size()));
        image.put(MAGIC.getBytes(StandardCharsets.US_ASCII));
        SecureRandom random = new SecureRandom();
        long journalId;
        do {
            journalId = random.nextLong();
        } while (journalId == NO_JOURNAL);
        long epoch = random.nextLong();
        image.putLong(DATABASE_ID_OFFSET, database.databaseId()).putLong(JOURNAL_ID_OFFSET, journalId)
                .position(STATE_OFFSET);
        image.putLong(epoch).putLong(database.fencingToken()).putLong(database.appliedSeq())
                .putLong(database.revision()).putLong(epoch).putLong(KNOWLEDGE_VOID)
                .putLong(HEADER_SIZE).putLong(database.appliedSeq()); // the first claimant publishes carried frames
        image.putInt(crc(image.array(), STATE_OFFSET, STATE_LONGS * Long.BYTES));
        image.put(HEADER_SIZE, frames.toByteArray());
        return image.array();
    }

    /** Where a journal is written before it is renamed into place at {@code journal}. */
    static Path creatingPath(Path journal) {
        return journal.resolveSibling(journal.getFileName() + ".creating");
    }

    /**
     * Puts the image at the path in one step, so that a file there is always whole: it is written to a temporary
     * file beside it, synced, renamed over the path, and the directory is synced so that the rename is durable. A
     * crash leaves at most the temporary file, which the next creation replaces.
     */
    private static void create(Path path, Optional<Set<PosixFilePermission>> permissions, byte[] image, Disk disk)
            throws IOException {
        Path creating = creatingPath(path);
        Files.deleteIfExists(creating);
        if (permissions.isPresent()) {
            Files.createFile(creating, PosixFilePermissions.asFileAttribute(permissions.get()));
            Files.setPosixFilePermissions(creating, permissions.get()); // the umask narrowed what createFile asked
        } else {
            Files.createFile(creating);
        }
        try (RandomAccessFile file = new RandomAccessFile(creating.toFile(), "rw")) {
            disk.writeAndSync(file, 0, image);
        } catch (IOException e) {
            Files.deleteIfExists(creating);
            throw e;
        }
        Files.move(creating, path, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel directory = FileChannel.open(path.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    /**
     * A journal is never shortened by this library; one that another program cut is read up to the cut, and gets its
     * allocated length back so that appends stay within allocated blocks.
     */
    private static void lengthenIfCut(Path path, RandomAccessFile file, Disk disk) throws IOException {
        long length = file.length();
        if (length < CAPACITY) {
            LOG.log(System.Logger.Level.WARNING, path + " was cut to " + length + " bytes by another program; the"
                    + " batches before the cut are kept and it is lengthened again");
            disk.writeAndSync(file, length, new byte[(int) (CAPACITY - length)]);
        }
    }

    Path path() {
        return path;
    }

    /** The random id drawn when this journal was created, which the database must know before it is appended to. */
    long id() {
        return id;
    }

    /**
     * The report when the database knew a journal that this one replaced because it was deleted or replaced: its
     * acknowledged writes not yet applied to the database may be lost. Present only in the journal that replaced it.
     */
    Optional<StoreException> lostPredecessor() {
        return Optional.ofNullable(lostPredecessor);
    }

    /** The sequence number of the last write journaled (or applied, when that is later). */
    long lastSeq() {
        return lastSeq;
    }

    /** Where the next reader that knows everything up to now would go on from. */
    Position position() {
        return new Position(epoch, appendAt, lastSeq);
    }

    /** Whether the journal holds no batch since it was last started over. */
    boolean isEmpty() {
        return appendAt == HEADER_SIZE;
    }

    /**
     * Takes the journal for a new grant: reads the header's state and gives the grant the next fencing token (a new
     * journal starts at the database's), synced before it is used, so that no two grants ever share a token, even
     * after a power loss. From now on a batch of an older grant is refused
     * ({@link #isHeldBy}).
     */
    long claim() throws StoreException {
        try {
            readState();
            holderToken++;
            writeState();
            file.getFD().sync();
            return holderToken;
        } catch (IOException e) {
            throw new StoreException("Cannot claim the journal " + path + ": " + e, e);
        }
    }

    /**
     * Whether the header's record of what DuckDB holds cannot be trusted (an apply or a direct write to the database
     * was cut short, or the journal was carried over from an older version): the claimant must read DuckDB's and
     * {@link #recordDatabaseState record} it before {@link #catchUp reading}.
     */
    boolean needsDatabaseState() {
        return appliedEpoch != epoch;
    }

    /** Records what the database says it holds: the journal's records up to {@code seq}, revisions up to {@code revision}. */
    void recordDatabaseState(long seq, long revision) throws StoreException {
        appliedSeq = seq;
        appliedRevision = revision;
        appliedEpoch = epoch;
        writeStateOrFail();
    }

    /** The latest revision the database holds, as the header knows it. */
    long appliedRevision() {
        return appliedRevision;
    }

    /**
     * Reads the batches appended since {@code known} and positions the journal after the last of them: on from
     * {@code known} in the same epoch, after the start-over of an apply that {@code known} had read up to, and from
     * the start otherwise (null: the reader knows nothing).
     *
     * @throws IllegalStateException when the claimant has not recorded the database's state that it needed
     */
    CatchUp catchUp(Position known) throws StoreException {
        if (needsDatabaseState()) {
            throw new IllegalStateException("The database's state must be recorded in " + path + " first");
        }
        try {
            List<PendingWrite> writes = new ArrayList<>();
            Continuity continuity;
            if (known != null && known.epoch() == epoch) {
                readChain(known.offset(), known.seq(), -1, writes);
                continuity = Continuity.ONWARD;
            } else if (known != null && known.seq() == resetAtSeq) {
                readChain(HEADER_SIZE, resetAtSeq, -1, writes);
                continuity = Continuity.AFTER_APPLY;
            } else {
                readChain(HEADER_SIZE, -1, appliedSeq, writes);
                lastSeq = Math.max(lastSeq, appliedSeq);
                continuity = Continuity.RESTARTED;
            }
            if (appendAt != syncedEnd || lastSeq != syncedSeq) {
                // A holder died between its fsync and publishing it, or before its fsync: what this claimant takes
                // for written is synced and published before anyone is answered from it.
                file.getFD().sync();
                publishSynced();
            }
            return new CatchUp(continuity, writes);
        } catch (IOException e) {
            throw new StoreException("Cannot read the journal " + path + ": " + e, e);
        }
    }

    /**
     * What a reader without the lock learnt ({@link #readUnlocked}).
     *
     * @param catchUp      the writes since what it knew, {@link Continuity#ONWARD} or {@link Continuity#AFTER_APPLY}
     * @param position     where it knows the journal up to now
     * @param holderToken  the fencing token of the latest grant, whose writes it has read
     * @param appliedRevision the latest revision DuckDB holds
     * @param clockMark    the latest time any process decided expiry by, as the header said before the read
     */
    record UnlockedRead(CatchUp catchUp, Position position, long holderToken, long appliedRevision, long clockMark) {
    }

    /**
     * Reads, without the lock, the acknowledged batches appended since {@code known}: a seqlock over the state block,
     * which the holder writes before it overwrites any frame. Empty when that cannot be done consistently right now
     * (the journal started over after batches the reader missed, DuckDB was written directly, the holder was writing
     * the state block, or the journal is no longer the one at the path): the reader must take the lock. Every batch
     * acknowledged before this call started is read; batches not acknowledged yet are not.
     */
    Optional<UnlockedRead> readUnlocked(Position known) throws StoreException {
        try {
            ByteBuffer before = readStateUnlocked();
            if (before == null || !isStillAtPath()) {
                return Optional.empty();
            }
            long stateEpoch = before.getLong(0);
            long stateResetAtSeq = before.getLong(5 * Long.BYTES);
            long stateSyncedEnd = before.getLong(6 * Long.BYTES);
            long stateSyncedSeq = before.getLong(7 * Long.BYTES);
            long position;
            Continuity continuity;
            if (stateEpoch == known.epoch()) {
                position = known.offset();
                continuity = Continuity.ONWARD;
            } else if (stateResetAtSeq == known.seq() && before.getLong(4 * Long.BYTES) == stateEpoch) {
                position = HEADER_SIZE;
                continuity = Continuity.AFTER_APPLY;
            } else {
                return Optional.empty();
            }
            List<PendingWrite> writes = new ArrayList<>();
            long seq = known.seq();
            for (Batch batch; position < stateSyncedEnd
                    && (batch = readBatch(file, position, stateSyncedEnd, seq)) != null; position = batch.end()) {
                writes.addAll(batch.writes());
                seq = batch.lastSeq();
            }
            ByteBuffer after = readStateUnlocked();
            if (position != stateSyncedEnd || seq != stateSyncedSeq || after == null
                    || after.getLong(0) != stateEpoch) {
                return Optional.empty();
            }
            return Optional.of(new UnlockedRead(new CatchUp(continuity, writes),
                    new Position(stateEpoch, stateSyncedEnd, stateSyncedSeq), before.getLong(Long.BYTES),
                    before.getLong(3 * Long.BYTES), clockMarkIn(before, STATE_SIZE)));
        } catch (IOException e) {
            throw new StoreException("Cannot read the journal " + path + ": " + e, e);
        }
    }

    /** The state block as a reader without the lock sees it; null when its CRC shows a write half done. */
    private ByteBuffer readStateUnlocked() throws IOException {
        byte[] state = new byte[STATE_SIZE + CLOCK_SIZE];
        file.seek(STATE_OFFSET);
        file.readFully(state);
        ByteBuffer buffer = ByteBuffer.wrap(state);
        return buffer.getInt(STATE_LONGS * Long.BYTES) == crc(state, 0, STATE_LONGS * Long.BYTES) ? buffer : null;
    }

    /**
     * Reads the chain of batches from {@code position}, which follows the record numbered {@code previousSeq} (-1:
     * any number), adding the writes after {@code appliedSeq} to {@code writes}, and leaves the journal after its end.
     */
    private void readChain(long position, long previousSeq, long appliedSeq, List<PendingWrite> writes)
            throws IOException {
        long seq = previousSeq;
        for (Batch batch; (batch = readBatch(file, position, capacity, seq)) != null; position = batch.end()) {
            List<PendingWrite> batchWrites = batch.writes();
            for (int i = 0; i < batchWrites.size(); i++) {
                if (batch.firstSeq() + i > appliedSeq) {
                    writes.add(batchWrites.get(i));
                }
            }
            seq = batch.lastSeq();
        }
        appendAt = position;
        lastSeq = seq;
    }

    /**
     * The batch whose frame starts at {@code position}, when it is whole, intact, ends before {@code end} and is
     * numbered on from {@code previousSeq} (-1: any number); null otherwise.
     */
    private static Batch readBatch(RandomAccessFile file, long position, long end, long previousSeq)
            throws IOException {
        ByteBuffer body = readFrameBody(file, position, end, BATCH_HEADER_SIZE + FIXED_RECORD_SIZE);
        if (body == null) {
            return null;
        }
        long firstSeq = body.getLong();
        int count = body.getInt();
        if (previousSeq >= 0 && firstSeq != previousSeq + 1) {
            return null; // a frame left over from before a reset
        }
        List<PendingWrite> writes = decodeRecords(body, count);
        return writes == null || body.hasRemaining() ? null
               : new Batch(firstSeq, writes, position + FRAME_SIZE + body.capacity());
    }

    /**
     * The body of the frame at {@code position}, when it is at least {@code minimumBody} bytes long, ends before
     * {@code end} and passes its CRC; null otherwise.
     */
    private static ByteBuffer readFrameBody(RandomAccessFile file, long position, long end, int minimumBody)
            throws IOException {
        if (position + FRAME_SIZE + minimumBody > end) {
            return null;
        }
        ByteBuffer frame = ByteBuffer.allocate(FRAME_SIZE);
        file.seek(position);
        file.readFully(frame.array());
        int length = frame.getInt();
        int storedCrc = frame.getInt();
        if (length < minimumBody || length > end - position - FRAME_SIZE) {
            return null;
        }
        byte[] body = new byte[length];
        file.readFully(body);
        return crc(body, 0, length) == storedCrc ? ByteBuffer.wrap(body) : null;
    }

    /** The fencing check of a batch about to be journaled: no later grant has claimed the journal. */
    boolean isHeldBy(long fencingToken) throws StoreException {
        try {
            return readLong(file, HOLDER_TOKEN_OFFSET) == fencingToken;
        } catch (IOException e) {
            throw new StoreException("Cannot read the journal " + path + ": " + e, e);
        }
    }

    /**
     * Tells every process that what it learnt from the journal may no longer hold: called before DuckDB is written
     * directly, so that their next catch-up starts over, and so that, should this process die or the power fail
     * before {@link #startOver}, the next claimant asks DuckDB what it holds (hence synced: replaying the journal
     * over a direct write, a clear, would bring back what it deleted).
     */
    void newEpoch() throws StoreException {
        epoch++;
        resetAtSeq = KNOWLEDGE_VOID;
        try {
            writeState();
            file.getFD().sync();
        } catch (IOException e) {
            throw new StoreException("Cannot write the header of the journal " + path + ": " + e, e);
        }
    }

    /**
     * Writes and syncs the writes as one batch, numbered on from {@link #lastSeq()}: when this returns true they are
     * durable, and every reader gets all of them or, should a crash tear them before that, none. False, with nothing
     * written, when they do not fit behind the batches already here: apply those first.
     *
     * @throws StoreException when they cannot be made durable: they were not acknowledged and are erased from the
     *                        file, or, should even that fail, their outcome is unknown, which the message says
     */
    boolean append(Collection<PendingWrite> writes) throws StoreException {
        if (writes.isEmpty()) {
            return true; // a frame of no records would end every reading there
        }
        byte[] frame = encodeBatch(lastSeq + 1, writes, capacity - appendAt);
        if (frame == null) {
            return false;
        }
        try {
            disk.writeAndSync(file, appendAt, frame);
        } catch (IOException e) {
            throw failedAppend(writes.size(), frame.length, e);
        }
        ensureStillAtPath(writes.size());
        appendAt += frame.length - TERMINATOR_SIZE;
        lastSeq += writes.size();
        publishSynced(); // before the batch is acknowledged: a reader without the lock must not miss it
        return true;
    }

    /**
     * After a failed append its bytes may be in the file, whole or in part: in the page cache every process reads,
     * and perhaps on the disk. All of them are overwritten with zeros and synced, so that no reader ever takes the
     * batch for acknowledged.
     */
    private StoreException failedAppend(int writes, int length, IOException failure) {
        try {
            disk.writeAndSync(file, appendAt, new byte[length]);
        } catch (IOException unerased) {
            failure.addSuppressed(unerased);
            return new StoreException("Cannot make " + writes + " writes durable in the journal " + path
                                      + ", nor erase them again: their outcome is unknown (the next reader may take"
                                      + " them for written) and the disk is failing: " + failure, failure);
        }
        return new StoreException("Cannot make " + writes + " writes durable in the journal " + path
                                  + "; they were not acknowledged, and were erased: " + failure, failure);
    }

    /** Whether the file this journal has open is still the one at its path (it was neither deleted nor replaced). */
    boolean isStillAtPath() {
        return fileKey.equals(fileKey(path));
    }

    /**
     * After a batch was synced and before it is acknowledged: a file deleted or replaced while this process used it
     * is read by nobody any more, so what went into it must not count as durable.
     */
    private void ensureStillAtPath(int writes) throws JournalGoneException {
        Object atPath = fileKey(path);
        if (!fileKey.equals(atPath)) {
            throw new JournalGoneException("The journal " + path + " was " + (atPath == null ? "deleted"
                    : "replaced by another file") + " while this process used it (this library never does either):"
                    + " the " + writes + " writes just synced went into a file nobody reads and were not"
                    + " acknowledged");
        }
    }

    /**
     * Starts the journal over, in a new epoch, once the database committed everything in it and the changes up to
     * {@code revision}. With {@code onlyApplied} (the database got nothing but the journal's writes) a reader that had
     * read up to the end keeps what it knows ({@link Continuity#AFTER_APPLY}); otherwise every reader starts over.
     * The new epoch is written before the first frame is overwritten. Not synced: should the terminator written over
     * the first frame not survive a crash, that frame and those after it carry numbers already applied, which are
     * skipped.
     */
    void startOver(long revision, boolean onlyApplied) {
        epoch++;
        appliedSeq = lastSeq;
        appliedRevision = revision;
        appliedEpoch = epoch;
        resetAtSeq = onlyApplied ? lastSeq : KNOWLEDGE_VOID;
        syncedEnd = HEADER_SIZE;
        syncedSeq = lastSeq;
        try {
            writeState();
            file.seek(HEADER_SIZE);
            file.write(new byte[TERMINATOR_SIZE]);
            appendAt = HEADER_SIZE;
        } catch (IOException e) {
            // Harmless but for space: appends go on after the applied batches, which a replay skips.
            LOG.log(System.Logger.Level.WARNING, "Cannot start the journal " + path + " over: " + e);
        }
    }

    /** Publishes where the acknowledged frames end, for readers without the lock ({@link #readUnlocked}). */
    private void publishSynced() throws StoreException {
        syncedEnd = appendAt;
        syncedSeq = lastSeq;
        writeStateOrFail();
    }

    private void readState() throws IOException {
        ByteBuffer state = ByteBuffer.allocate(STATE_SIZE + CLOCK_SIZE);
        file.seek(STATE_OFFSET);
        file.readFully(state.array());
        clockMark = Math.max(clockMark, clockMarkIn(state, STATE_SIZE));
        epoch = state.getLong();
        holderToken = state.getLong();
        appliedSeq = state.getLong();
        appliedRevision = state.getLong();
        appliedEpoch = state.getLong();
        resetAtSeq = state.getLong();
        syncedEnd = state.getLong();
        syncedSeq = state.getLong();
    }

    /** The clock mark at {@code offset} of {@code buffer}; 0 when its CRC does not match (never written, or torn). */
    private static long clockMarkIn(ByteBuffer buffer, int offset) {
        long mark = buffer.getLong(offset);
        return buffer.getInt(offset + Long.BYTES) == crc(buffer.array(), offset, Long.BYTES) ? mark : 0;
    }

    /**
     * One write call for the whole state block and the clock mark, so that they are never seen half old, half new by
     * this library.
     */
    private void writeState() throws IOException {
        file.seek(STATE_OFFSET);
        ByteBuffer state = ByteBuffer.allocate(STATE_SIZE + CLOCK_SIZE).putLong(epoch).putLong(holderToken)
                .putLong(appliedSeq).putLong(appliedRevision).putLong(appliedEpoch).putLong(resetAtSeq)
                .putLong(syncedEnd).putLong(syncedSeq);
        state.putInt(crc(state.array(), 0, STATE_LONGS * Long.BYTES));
        state.putLong(clockMark).putInt(crc(state.array(), STATE_SIZE, Long.BYTES));
        file.write(state.array());
        clockMarkUnwritten = false;
    }

    /** The latest time any process decided expiry by, as the header said at the claim, or as this holder raised it. */
    long clockMark() {
        return clockMark;
    }

    /**
     * Raises the clock mark to the time a batch decided expiry by ({@link ExpiryClock}); it is written with the next
     * state write, or by {@link #writeClockMark}, before the batch's callers are answered.
     */
    void raiseClockMark(long micros) {
        if (micros > clockMark) {
            clockMark = micros;
            clockMarkUnwritten = true;
        }
    }

    /**
     * Writes a raised clock mark the batch did not write with its state. Not synced: other processes read it from the
     * page cache, and after a power loss the wall clock is all that is left to go by anyway.
     */
    void writeClockMark() throws StoreException {
        if (clockMarkUnwritten) {
            writeStateOrFail();
        }
    }

    private void writeStateOrFail() throws StoreException {
        try {
            writeState();
        } catch (IOException e) {
            throw new StoreException("Cannot write the header of the journal " + path + ": " + e, e);
        }
    }

    /** One read call, not the eight of {@link RandomAccessFile#readLong()}. */
    private static long readLong(RandomAccessFile file, long offset) throws IOException {
        byte[] bytes = new byte[Long.BYTES];
        file.seek(offset);
        file.readFully(bytes);
        return ByteBuffer.wrap(bytes).getLong();
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            // nothing was pending: every append was synced
        }
    }

    /**
     * The frame of a batch, with the terminator after it; null when that would take more than {@code room} bytes
     * (found out while encoding, so that a batch too big is not encoded whole).
     */
    private static byte[] encodeBatch(long firstSeq, Collection<PendingWrite> writes, long room) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[FRAME_SIZE + BATCH_HEADER_SIZE]); // filled in once the length is known
        for (PendingWrite write : writes) {
            out.writeBytes(encode(write));
            if (out.size() + TERMINATOR_SIZE > room) {
                return null;
            }
        }
        out.writeBytes(new byte[TERMINATOR_SIZE]);
        byte[] frame = out.toByteArray();
        int bodyLength = frame.length - FRAME_SIZE - TERMINATOR_SIZE;
        ByteBuffer.wrap(frame).putInt(0, bodyLength).putLong(FRAME_SIZE, firstSeq)
                .putInt(FRAME_SIZE + Long.BYTES, writes.size());
        ByteBuffer.wrap(frame).putInt(Integer.BYTES, crc(frame, FRAME_SIZE, bodyLength));
        return frame;
    }

    private static byte[] encode(PendingWrite write) {
        byte[] key = utf8(write.key());
        byte[] value = write.entry().map(WriteAheadJournal::valueBytes).orElse(new byte[0]);
        long expiresAt = write.entry().map(MemoryEntry::expiresAtMicros).orElse(0L);
        ByteBuffer record = ByteBuffer.allocate(FIXED_RECORD_SIZE + (expiresAt != 0 ? Long.BYTES : 0) + key.length
                                                + value.length);
        record.put(write.entry().map(entry -> (byte) (1 + entry.value().kind().ordinal() + (expiresAt != 0 ? EXPIRES
                        : 0))).orElse(DELETED))
                .putLong(write.revision())
                .putLong(write.entry().map(MemoryEntry::fencingToken).orElse(0L))
                .putLong(write.writtenMicros());
        if (expiresAt != 0) {
            record.putLong(expiresAt);
        }
        return record.putInt(key.length).put(key).putInt(value.length).put(value).array();
    }

    /**
     * The next {@code count} records of {@code body}; null when they do not parse (which its CRC makes all but
     * impossible, but the bytes of a frame are never trusted to index anything).
     */
    private static List<PendingWrite> decodeRecords(ByteBuffer body, int count) {
        if (count < 1 || count > body.remaining() / FIXED_RECORD_SIZE) {
            return null;
        }
        List<PendingWrite> writes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            PendingWrite write = decode(body);
            if (write == null) {
                return null;
            }
            writes.add(write);
        }
        return writes;
    }

    private static PendingWrite decode(ByteBuffer record) {
        if (record.remaining() < FIXED_RECORD_SIZE) {
            return null;
        }
        byte kind = record.get();
        long revision = record.getLong();
        long fencingToken = record.getLong();
        long writtenMicros = record.getLong();
        long expiresAt = 0;
        if (kind > EXPIRES) {
            if (record.remaining() < Long.BYTES) {
                return null;
            }
            expiresAt = record.getLong();
            kind -= EXPIRES;
            if (expiresAt == 0) {
                return null;
            }
        }
        byte[] key = bytes(record);
        byte[] value = key == null ? null : bytes(record);
        if (value == null || kind < DELETED || kind > ValueKind.values().length) {
            return null;
        }
        String keyText = new String(key, StandardCharsets.UTF_8);
        if (kind == DELETED) {
            return new PendingWrite(keyText, Optional.empty(), revision, writtenMicros);
        }
        ValueKind valueKind = ValueKind.values()[kind - 1];
        StoredValue stored = valueKind == ValueKind.BYTES
                             ? StoredValue.bytes(value)
                             : new StoredValue(valueKind, new String(value, StandardCharsets.UTF_8), null);
        return new PendingWrite(keyText, Optional.of(new MemoryEntry(keyText, stored, revision, fencingToken,
                expiresAt)), revision, writtenMicros);
    }

    /** The length-prefixed bytes next in {@code record}; null when the length points outside it. */
    private static byte[] bytes(ByteBuffer record) {
        if (record.remaining() < Integer.BYTES) {
            return null;
        }
        int length = record.getInt();
        if (length < 0 || length > record.remaining()) {
            return null;
        }
        byte[] bytes = new byte[length];
        record.get(bytes);
        return bytes;
    }

    private static byte[] valueBytes(MemoryEntry entry) {
        StoredValue value = entry.value();
        return value.kind() == ValueKind.BYTES ? value.bytes() : utf8(value.text());
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }
}
