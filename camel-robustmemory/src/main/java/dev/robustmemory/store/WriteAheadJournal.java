package dev.robustmemory.store;

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

/**
 * The memory's own write-ahead journal, {@code <database>.journal}: where writes become durable before they are
 * acknowledged, so that a batch costs one write and one {@code fsync} instead of DuckDB upserts (about 1.5 ms per
 * statement), and the log every process reads to learn what the others wrote since it last held the lock.
 *
 * <p><b>Life of a record.</b> A holder appends its batches. Whoever holds the lock next first reads what was appended
 * since it last looked ({@link #catchUp}); the writes not yet in DuckDB are answered from memory by every process. Now
 * and then a holder applies them all to DuckDB in one transaction that also records the last sequence number applied
 * ({@code journal_applied} in the database), and then starts the journal over ({@link #reset()}).
 *
 * <p><b>Format.</b> A fixed {@value #CAPACITY}-byte file, allocated once so that appends overwrite allocated blocks
 * (an {@code fsync} then flushes data only, not the file size), and created whole in one step (written beside the
 * path as {@code <journal>.creating}, synced, renamed into place): a file at the path is never a half-made journal. A {@value #HEADER_SIZE}-byte header: {@value #MAGIC};
 * at byte {@value #DATABASE_ID_OFFSET} the database's id (a journal left behind by a deleted database is never
 * replayed into a new one); at {@value #EPOCH_OFFSET} the epoch, which grows whenever what a process learnt from the
 * journal may no longer hold (the journal started over, or DuckDB was written directly); at
 * {@value #HOLDER_TOKEN_OFFSET} the fencing token of the current holder. Then records {@code [int length][int crc32c]
 * [long seq][byte kind][long revision][long fencingToken][long writtenMicros][int keyLength][key][int valueLength]
 * [value]}, big-endian, where kind 0 is a deletion and 1 + {@link ValueKind#ordinal()} a value, and the CRC covers
 * everything after itself. Reading stops at the first record that is torn, fails its CRC or does not continue the
 * sequence: everything after it was never acknowledged (an acknowledged batch was synced before the next one was
 * written), and records left over from before a reset all carry numbers already applied.
 *
 * <p>Used by a lease thread under the cross-process lock only. A {@link RandomAccessFile}, unlike a channel, is not
 * closed by an interrupt. The header's epoch and token are written without {@code fsync}: only live processes read
 * them, through the page cache.
 */
final class WriteAheadJournal implements AutoCloseable {

    static final int CAPACITY = 4 * 1024 * 1024;
    static final String MAGIC = "robustmemory-journal/1";
    private static final int HEADER_SIZE = 64;
    private static final int DATABASE_ID_OFFSET = 32;
    private static final int EPOCH_OFFSET = 40;
    private static final int HOLDER_TOKEN_OFFSET = 48;
    /** length and crc. */
    private static final int FRAME_SIZE = 8;
    /** seq, kind, version, fencing token, written-at, key length, value length. */
    private static final int FIXED_BODY_SIZE = 8 + 1 + 8 + 8 + 8 + 4 + 4;
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
    private long appendAt = HEADER_SIZE;
    private long lastSeq;
    private long epoch;

    /**
     * How far a process has read the journal: every record before {@code offset}, the last numbered {@code seq}, in
     * {@code epoch}.
     */
    record Position(long epoch, long offset, long seq) {
    }

    /**
     * What {@link #catchUp} read.
     *
     * @param restarted true when the reader's knowledge is void (the epoch changed): it must forget what it learnt
     * @param writes    the writes not in DuckDB yet that the reader did not know, oldest first
     */
    record CatchUp(boolean restarted, List<PendingWrite> writes) {
    }

    private WriteAheadJournal(Path path, RandomAccessFile file, Disk disk) {
        this.path = path;
        this.file = file;
        this.disk = disk;
    }

    /**
     * Opens the journal of the database with the given id. A new one is created, with the given permissions, when
     * there is none, when the file at the path is what an interrupted creation of an older version left (zeros only,
     * perhaps shorter), and when it is the journal of another database.
     *
     * @throws StoreException when the path is a directory or a file that is not a robustmemory journal (left
     *                        untouched), or cannot be read or written
     */
    static WriteAheadJournal open(Path path, Optional<Set<PosixFilePermission>> permissions, long databaseId)
            throws StoreException {
        return open(path, permissions, databaseId, Disk.FILE_SYSTEM);
    }

    static WriteAheadJournal open(Path path, Optional<Set<PosixFilePermission>> permissions, long databaseId,
                                  Disk disk) throws StoreException {
        if (Files.isDirectory(path)) {
            throw new StoreException("The journal path " + path + " is a directory; it must be the memory's journal"
                                     + " file, which holds acknowledged writes not yet in the database");
        }
        try {
            if (needsCreating(path, databaseId)) {
                create(path, permissions, newJournal(databaseId), disk);
            }
            return new WriteAheadJournal(path, new RandomAccessFile(path.toFile(), "rw"), disk);
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException("Cannot open the journal " + path + ": " + e, e);
        }
    }

    /**
     * Whether a new journal must be put at the path.
     *
     * @throws StoreException when the file there has foreign content: it might be someone's data
     */
    private static boolean needsCreating(Path path, long databaseId) throws IOException, StoreException {
        if (!Files.exists(path)) {
            return true;
        }
        try (RandomAccessFile found = new RandomAccessFile(path.toFile(), "r")) {
            if (startsWithMagic(found) && found.length() >= CAPACITY) {
                long journalOf = readLong(found, DATABASE_ID_OFFSET);
                if (journalOf == databaseId) {
                    return false;
                }
                LOG.log(System.Logger.Level.WARNING, path + " was the journal of another database (id " + journalOf
                        + ", this one is " + databaseId + "), probably one deleted with its journal left behind; it"
                        + " is started over for this database");
                return true;
            }
            if (holdsZerosOnly(found)) {
                LOG.log(System.Logger.Level.INFO, path + " holds zeros only, as an interrupted creation of the"
                        + " journal by an older version leaves it; it is created again");
                return true;
            }
        }
        throw new StoreException(path + " is not a robustmemory journal (it does not start with '" + MAGIC
                                 + "' or is shorter than " + CAPACITY + " bytes); it was left untouched."
                                 + " Move it away if it is not this memory's");
    }

    private static boolean startsWithMagic(RandomAccessFile file) throws IOException {
        byte[] expected = MAGIC.getBytes(StandardCharsets.US_ASCII);
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
     * An empty journal: the database id, a random first epoch (a reader that knew an earlier file of this name must
     * start over), zeros up to the capacity, so that appends overwrite allocated blocks.
     */
    private static byte[] newJournal(long databaseId) {
        ByteBuffer image = ByteBuffer.allocate(CAPACITY);
        image.put(MAGIC.getBytes(StandardCharsets.US_ASCII));
        image.putLong(DATABASE_ID_OFFSET, databaseId).putLong(EPOCH_OFFSET, new SecureRandom().nextLong());
        return image.array();
    }

    /**
     * Puts the image at the path in one step, so that a file there is always whole: it is written to a temporary
     * file beside it, synced, renamed over the path, and the directory is synced so that the rename is durable. A
     * crash leaves at most the temporary file, which the next creation replaces.
     */
    private static void create(Path path, Optional<Set<PosixFilePermission>> permissions, byte[] image, Disk disk)
            throws IOException {
        Path creating = path.resolveSibling(path.getFileName() + ".creating");
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

    Path path() {
        return path;
    }

    /** The sequence number of the last write journaled (or applied, when that is later). */
    long lastSeq() {
        return lastSeq;
    }

    /** Where the next reader that knows everything up to now would go on from. */
    Position position() {
        return new Position(epoch, appendAt, lastSeq);
    }

    /** Whether the journal holds no record since it was last started over. */
    boolean isEmpty() {
        return appendAt == HEADER_SIZE;
    }

    /**
     * Reads the records appended since {@code known} (from the start when {@code known} is null or of another epoch)
     * and positions the journal after the last of them.
     *
     * @param appliedSeq the number DuckDB says it holds the records up to; older ones are not returned
     */
    CatchUp catchUp(Position known, long appliedSeq) throws StoreException {
        try {
            epoch = readLong(EPOCH_OFFSET);
            boolean restarted = known == null || known.epoch() != epoch;
            List<PendingWrite> writes = new ArrayList<>();
            if (restarted) {
                readChain(HEADER_SIZE, -1, appliedSeq, writes);
                lastSeq = Math.max(lastSeq, appliedSeq);
            } else {
                readChain(known.offset(), known.seq(), appliedSeq, writes);
            }
            return new CatchUp(restarted, writes);
        } catch (IOException e) {
            throw new StoreException("Cannot read the journal " + path + ": " + e, e);
        }
    }

    /**
     * Reads the chain of records from {@code position}, which follows the record numbered {@code previousSeq} (-1:
     * any number), adding those after {@code appliedSeq} to {@code writes}, and leaves the journal after its end.
     */
    private void readChain(long position, long previousSeq, long appliedSeq, List<PendingWrite> writes)
            throws IOException {
        long seq = previousSeq;
        for (ByteBuffer record; (record = readRecord(position)) != null; position += FRAME_SIZE + record.capacity()) {
            long next = record.getLong(0);
            if (seq >= 0 && next != seq + 1) {
                break; // a record left over from an earlier epoch
            }
            seq = next;
            if (seq > appliedSeq) {
                writes.add(decode(record));
            }
        }
        appendAt = position;
        lastSeq = seq;
    }

    /** The body of the whole, intact record at {@code position}, or null when there is none. */
    private ByteBuffer readRecord(long position) throws IOException {
        if (position + FRAME_SIZE + FIXED_BODY_SIZE > CAPACITY) {
            return null;
        }
        file.seek(position);
        int length = file.readInt();
        int storedCrc = file.readInt();
        if (length < FIXED_BODY_SIZE || length > CAPACITY - position - FRAME_SIZE) {
            return null;
        }
        byte[] body = new byte[length];
        file.readFully(body);
        return crc(body, 0, body.length) == storedCrc ? ByteBuffer.wrap(body) : null;
    }

    /** Names the current holder: from now on a batch of an older grant is refused ({@link #isHeldBy}). */
    void claim(long fencingToken) throws StoreException {
        writeHeaderLong(HOLDER_TOKEN_OFFSET, fencingToken);
    }

    /** The fencing check of a batch about to be journaled: no later grant has claimed the journal. */
    boolean isHeldBy(long fencingToken) throws StoreException {
        try {
            return readLong(HOLDER_TOKEN_OFFSET) == fencingToken;
        } catch (IOException e) {
            throw new StoreException("Cannot read the journal " + path + ": " + e, e);
        }
    }

    /**
     * Tells every process that what it learnt from the journal may no longer hold: called before DuckDB is written
     * directly, so that their next catch-up starts over.
     */
    void newEpoch() throws StoreException {
        writeHeaderLong(EPOCH_OFFSET, ++epoch);
    }

    /**
     * Writes and syncs the writes, numbered on from {@link #lastSeq()}: when this returns true they are durable.
     * False, with nothing written, when they do not fit behind the records already here: apply those first.
     *
     * @throws StoreException when they cannot be made durable: they were not acknowledged and are erased from the
     *                        file, or, should even that fail, their outcome is unknown, which the message says
     */
    boolean append(Collection<PendingWrite> writes) throws StoreException {
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        long seq = lastSeq;
        for (PendingWrite write : writes) {
            records.writeBytes(encode(++seq, write));
            if (appendAt + records.size() > CAPACITY) {
                return false;
            }
        }
        try {
            disk.writeAndSync(file, appendAt, records.toByteArray());
        } catch (IOException e) {
            throw failedAppend(writes.size(), records.size(), e);
        }
        appendAt += records.size();
        lastSeq = seq;
        return true;
    }

    /**
     * After a failed append its bytes may be in the file, whole or in part: in the page cache every process reads,
     * and perhaps on the disk. All of them are overwritten with zeros and synced, so that neither a reader nor a
     * later, shorter batch that ends inside them ever takes a part of them for acknowledged.
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

    /**
     * Starts the journal over, in a new epoch, once the database holds everything in it. Not synced: should the
     * zeroed first record come back after a crash, it and those after it carry numbers already applied, which are
     * skipped.
     */
    void reset() {
        try {
            file.seek(HEADER_SIZE);
            file.write(new byte[FRAME_SIZE]);
            appendAt = HEADER_SIZE;
            newEpoch();
        } catch (IOException e) {
            // Harmless but for space: appends go on after the applied records, which a replay skips.
            LOG.log(System.Logger.Level.WARNING, "Cannot start the journal " + path + " over: " + e);
        }
    }

    private long readLong(long offset) throws IOException {
        return readLong(file, offset);
    }

    private static long readLong(RandomAccessFile file, long offset) throws IOException {
        file.seek(offset);
        return file.readLong();
    }

    private void writeHeaderLong(long offset, long value) throws StoreException {
        try {
            file.seek(offset);
            file.writeLong(value);
        } catch (IOException e) {
            throw new StoreException("Cannot write the header of the journal " + path + ": " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            // nothing was pending: every append was synced
        }
    }

    private static byte[] encode(long seq, PendingWrite write) {
        byte[] key = utf8(write.key());
        byte[] value = write.entry().map(WriteAheadJournal::valueBytes).orElse(new byte[0]);
        int bodySize = FIXED_BODY_SIZE + key.length + value.length;
        ByteBuffer record = ByteBuffer.allocate(FRAME_SIZE + bodySize);
        record.putInt(bodySize).putInt(0);
        record.putLong(seq);
        record.put(write.entry().map(entry -> (byte) (1 + entry.value().kind().ordinal())).orElse(DELETED));
        record.putLong(write.revision());
        record.putLong(write.entry().map(MemoryEntry::fencingToken).orElse(0L));
        record.putLong(write.writtenMicros());
        record.putInt(key.length).put(key).putInt(value.length).put(value);
        record.putInt(4, crc(record.array(), FRAME_SIZE, bodySize));
        return record.array();
    }

    private static PendingWrite decode(ByteBuffer record) {
        record.getLong(); // seq, checked by the caller
        byte kind = record.get();
        long version = record.getLong();
        long fencingToken = record.getLong();
        long writtenMicros = record.getLong();
        String key = new String(bytes(record), StandardCharsets.UTF_8);
        byte[] value = bytes(record);
        if (kind == DELETED) {
            return new PendingWrite(key, Optional.empty(), version, writtenMicros);
        }
        ValueKind valueKind = ValueKind.values()[kind - 1];
        StoredValue stored = valueKind == ValueKind.BYTES
                             ? StoredValue.bytes(value)
                             : new StoredValue(valueKind, new String(value, StandardCharsets.UTF_8), null);
        return new PendingWrite(key, Optional.of(new MemoryEntry(key, stored, version, fencingToken)), version,
                writtenMicros);
    }

    private static byte[] bytes(ByteBuffer record) {
        byte[] bytes = new byte[record.getInt()];
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
