package dev.robustmemory.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * (an {@code fsync} then flushes data only, not the file size). A {@value #HEADER_SIZE}-byte header: {@value #MAGIC};
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

    private final Path path;
    private final RandomAccessFile file;
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

    private WriteAheadJournal(Path path, RandomAccessFile file) {
        this.path = path;
        this.file = file;
    }

    /**
     * Opens the journal of the database with the given id, creating and allocating it with the given permissions
     * when absent, and starting it over when it belongs to another database.
     *
     * @throws StoreException when the path is a directory or a file that is not a robustmemory journal (left
     *                        untouched), or cannot be read or written
     */
    static WriteAheadJournal open(Path path, Optional<Set<PosixFilePermission>> permissions, long databaseId)
            throws StoreException {
        if (Files.isDirectory(path)) {
            throw new StoreException("The journal path " + path + " is a directory; it must be the memory's journal"
                                     + " file, which holds acknowledged writes not yet in the database");
        }
        try {
            boolean created = create(path, permissions);
            RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw");
            try {
                if (created || file.length() == 0) {
                    allocate(file, databaseId);
                } else {
                    checkHeader(path, file, databaseId);
                }
                return new WriteAheadJournal(path, file);
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

    private static boolean create(Path path, Optional<Set<PosixFilePermission>> permissions) throws IOException {
        try {
            if (permissions.isPresent()) {
                Files.createFile(path, PosixFilePermissions.asFileAttribute(permissions.get()));
                Files.setPosixFilePermissions(path, permissions.get()); // the umask narrowed what createFile asked for
            } else {
                Files.createFile(path);
            }
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    private static void allocate(RandomAccessFile file, long databaseId) throws IOException {
        byte[] zeros = new byte[64 * 1024];
        file.seek(0);
        for (int written = 0; written < CAPACITY; written += zeros.length) {
            file.write(zeros);
        }
        file.seek(0);
        file.write(MAGIC.getBytes(StandardCharsets.US_ASCII));
        writeHeaderId(file, databaseId);
    }

    /**
     * Writes the database id, a random first epoch (a reader that knew an earlier file of this name must start over)
     * and an empty first record, and syncs: the journal is empty from here on.
     */
    private static void writeHeaderId(RandomAccessFile file, long databaseId) throws IOException {
        file.seek(DATABASE_ID_OFFSET);
        file.writeLong(databaseId);
        file.writeLong(new SecureRandom().nextLong());
        file.seek(HEADER_SIZE);
        file.write(new byte[FRAME_SIZE]);
        file.getFD().sync();
    }

    private static void checkHeader(Path path, RandomAccessFile file, long databaseId)
            throws IOException, StoreException {
        byte[] expected = MAGIC.getBytes(StandardCharsets.US_ASCII);
        byte[] found = new byte[expected.length];
        file.seek(0);
        int read = file.read(found);
        if (read != found.length || !Arrays.equals(expected, found) || file.length() < CAPACITY) {
            throw new StoreException(path + " is not a robustmemory journal (it does not start with '" + MAGIC
                                     + "' or is shorter than " + CAPACITY + " bytes); it was left untouched."
                                     + " Move it away if it is not this memory's");
        }
        file.seek(DATABASE_ID_OFFSET);
        long journalOf = file.readLong();
        if (journalOf != databaseId) {
            LOG.log(System.Logger.Level.WARNING, path + " was the journal of another database (id " + journalOf
                    + ", this one is " + databaseId + "), probably one deleted with its journal left behind; it is"
                    + " started over for this database");
            writeHeaderId(file, databaseId);
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
            file.seek(appendAt);
            file.write(records.toByteArray());
            file.getFD().sync();
        } catch (IOException e) {
            try {
                file.seek(appendAt);
                file.write(new byte[FRAME_SIZE]); // so that no reader takes them for acknowledged
            } catch (IOException unwritable) {
                e.addSuppressed(unwritable);
            }
            throw new StoreException("Cannot make " + writes.size() + " writes durable in the journal " + path
                                     + "; they were not acknowledged: " + e, e);
        }
        appendAt += records.size();
        lastSeq = seq;
        return true;
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
