package dev.robustmemory.duckdb.lock;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import dev.robustmemory.memory.LockNames;
import dev.robustmemory.memory.NamedLockService;
import dev.robustmemory.memory.NamedLockStatistics;
import dev.robustmemory.memory.NamedLockTally;
import dev.robustmemory.memory.NamedLockTimeoutException;

/**
 * Locks named by text ({@code order-4711}), shared by every thread of every process on one host that opens the same
 * names lock file; each grant carries a fencing token that only grows, per name, across crashes.
 *
 * <p><b>Names and slots.</b> The file has {@link #SLOT_COUNT} slots. A name belongs to slot {@code CRC32C(UTF-8 bytes
 * of the name) mod SLOT_COUNT} ({@link #slotOf}): stable across JVMs, versions and hosts, unlike
 * {@link String#hashCode()}'s contract. Each slot is one record lock ({@code fcntl}) on its own byte, so the file
 * stays at most {@code SLOT_COUNT * 64} bytes however many names are used. Names that share a slot
 * <em>collide</em>: they exclude each other (a holder of one makes a taker of the other wait) and share one token
 * sequence, so a name's tokens still only grow but may skip. That is all a collision costs; it never lets two holders
 * in. With {@code n} names held at once, a given other name collides with one of them with probability about
 * {@code n / 4096}. The hash is not secret: whoever chooses the names can make them collide, and so slow each other.
 *
 * <p><b>What it guarantees.</b> At most one holder per slot across the threads of this JVM (a fair FIFO queue per
 * slot) and across processes (the slot's record lock). A holder killed with {@code kill -9} frees its slots at once:
 * the kernel drops its record locks; nothing is ever broken by age or pid, and the file is never deleted. Holding a
 * name blocks nothing but its slot: not the memory's own lock (another file), not other slots. Before a grant is
 * returned its token is written with {@code O_DSYNC}; the token rules are on {@link NamedLockGrant#token()}.
 *
 * <p><b>Fair hand-off between processes.</b> Record locks have no queue: a process that releases and takes a slot
 * again within microseconds would starve a process that polls for it. A waiting process therefore announces itself
 * with a shared lock on the slot's second byte, and a releasing process that sees such an announcement lets its own
 * next acquisition of that slot wait until the slot's token has moved on (the waiter got it) or {@link #YIELD_NANOS}
 * passed (the waiter gave up or died).
 *
 * <p><b>What it does not guarantee.</b> As for {@link CrossProcessLock}: network file systems are refused unless
 * allowed, programs that do not use this class are not excluded, and deleting or replacing the file by hand splits
 * waiters across two files (and restarts tokens from the wall clock, see {@link NamedLockGrant#token()}). A grant on
 * a file that is no longer the one at the path says so ({@link NamedLockGrant#isHeld()} is false), and the next
 * {@link #open} of the path opens the file now there.
 *
 * <p><b>One file handle per file per JVM.</b> Closing any descriptor of a file drops every record lock the process
 * holds on it, so {@link #open} returns one shared instance per file, whose handle closes only when every open is
 * closed and no grant is held. All file access uses calls that an interrupt cannot abort ({@code tryLock},
 * {@code RandomAccessFile} reads and writes), because an interrupted channel operation closes the channel.
 */
public final class NamedLocks implements NamedLockService {

    /** Slots per file: a fixed power of two, the same in every JVM that shares the file. */
    public static final int SLOT_COUNT = 4096;
    /** The longest name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = LockNames.MAX_NAME_BYTES;
    /**
     * How long a process that released a slot another process waits for lets that process go first. A waiter polls
     * every {@link CrossProcessLock#MAX_POLL_NANOS} at most; the rest is room for a busy scheduler.
     */
    public static final long YIELD_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** The file name suffix beside a memory's database file. */
    public static final String FILE_SUFFIX = ".names.lock";

    private static final long FIRST_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    /** Open instances by real path; guarded by itself. */
    private static final Map<Path, NamedLocks> OPEN_IN_THIS_JVM = new HashMap<>();

    private final Path path;
    private final RandomAccessFile file;
    /** The identity (device and inode) of the file this instance has open, to notice that the path names another. */
    private final Object fileKey;
    private final Turn[] turns = new Turn[SLOT_COUNT];
    /** Opens not yet closed plus grants held and acquisitions under way. */
    private final HandleUsers users;
    private final NamedLockTally tally = new NamedLockTally();

    /**
     * A slot's turn in this JVM. Only the thread holding {@code gate} touches the slot's record locks, so this JVM
     * never asks for an overlapping lock and its own waiters never announce themselves on the slot while it holds it.
     */
    private static final class Turn {
        final Semaphore gate = new Semaphore(1, true);
        // Written and read only under the gate.
        long yieldToken;
        long yieldUntilNanos;
        boolean yielding;
    }

    private NamedLocks(Path path, RandomAccessFile file, Object fileKey) {
        this.path = path;
        this.file = file;
        this.fileKey = fileKey;
        this.users = new HandleUsers("The named locks file " + path);
        Arrays.setAll(turns, i -> new Turn());
    }

    /** The names lock file of a memory: {@code <database>.names.lock} beside the database file. */
    public static Path fileFor(Path database) {
        return database.resolveSibling(database.getFileName() + FILE_SUFFIX);
    }

    /**
     * The named locks of a names lock file, creating the file (and its directories) when absent. Every call for the
     * same file in this JVM returns the same instance until each call is matched by a {@link #close}, unless the file
     * at the path was replaced since: then a new instance on the file now there.
     *
     * @throws LockException when the path is a directory, cannot be read and written, or is on a refused file system
     */
    public static NamedLocks open(Path locksFile, LockFileSettings settings) throws LockException {
        Path realPath = CrossProcessLock.prepareLockFile(locksFile.toAbsolutePath().normalize(), settings);
        synchronized (OPEN_IN_THIS_JVM) {
            NamedLocks existing = OPEN_IN_THIS_JVM.get(realPath);
            // A replaced file's instance stays open for its users: closing a handle drops record locks on its own
            // file only, so two instances on two files do not disturb each other.
            if (existing != null && existing.isStillAtPath() && existing.users.retain()) {
                return existing;
            }
            NamedLocks created;
            try {
                // "rwd": every write reaches the disk before it returns, without FileChannel.force, which an interrupt
                // would abort by closing the channel and with it every record lock of this JVM on the file.
                RandomAccessFile file = new RandomAccessFile(realPath.toFile(), "rwd");
                created = new NamedLocks(realPath, file, fileKeyOrClose(realPath, file));
            } catch (FileNotFoundException e) {
                throw new LockException(realPath, CrossProcessLock.describeOpenFailure(realPath), e);
            }
            OPEN_IN_THIS_JVM.put(realPath, created);
            return created;
        }
    }

    /** @throws IllegalArgumentException as {@link #slotOf} */
    @Override
    public void checkName(String name) {
        slotOf(name);
    }

    /**
     * The slot of a name.
     *
     * @throws IllegalArgumentException for a name that is empty, longer than {@link #MAX_NAME_BYTES} UTF-8 bytes, or
     *                                  not valid Unicode text
     */
    public static int slotOf(String name) {
        CRC32C crc = new CRC32C();
        crc.update(LockNames.utf8(name));
        return (int) (crc.getValue() & (SLOT_COUNT - 1));
    }

    public Path path() {
        return path;
    }

    /**
     * Waits up to {@code timeout} for the name; zero tries once without waiting. Whatever this throws, nothing is held
     * afterwards.
     *
     * @throws NamedLockTimeoutException when the name's slot stayed held by another thread or process
     * @throws LockException             on an I/O error with the file
     * @throws InterruptedException      when the waiting thread is interrupted
     * @throws IllegalArgumentException  for an invalid name ({@link #slotOf}) or a negative timeout
     */
    @Override
    public NamedLockGrant acquire(String name, Duration timeout)
            throws NamedLockTimeoutException, LockException, InterruptedException {
        int slot = slotOf(name);
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("A lock timeout must not be negative: " + timeout);
        }
        long start = System.nanoTime();
        long deadline = start + CrossProcessLock.waitNanos(timeout);
        users.retainOrRefuse(); // handed to the grant, which drops it when released
        Turn turn = turns[slot];
        boolean granted = false;
        tally.startedWaiting();
        try {
            if (!turn.gate.tryAcquire(deadline - start, TimeUnit.NANOSECONDS)) {
                throw timedOut(name, slot, timeout, "another thread of this process (pid "
                        + ProcessHandle.current().pid() + "; " + newestGrantOrWhyNot(slot) + ")");
            }
            try {
                letTheWaitingProcessGoFirst(turn, slot, deadline);
                FileLock slotLock = lockSlotUntil(name, slot, deadline, timeout);
                try {
                    NamedLockGrant grant = grant(name, slot, slotLock, start);
                    granted = true;
                    return grant;
                } finally {
                    if (!granted) {
                        releaseQuietly(slotLock);
                    }
                }
            } finally {
                if (!granted) {
                    turn.gate.release();
                }
            }
        } finally {
            tally.stoppedWaiting();
            if (!granted) {
                dropReference();
            }
        }
    }

    /**
     * The newest token granted for this name's slot, from the file, without taking any lock: a write fenced with an
     * older token comes from a holder that has been superseded. 0 when the slot was never granted. When a copy is
     * unreadable the answer errs high (the wall clock in microseconds), never low. When the file was replaced since
     * this JVM opened it, the answer comes from the file now at the path, where grants are made by whoever opens the
     * path now (so a holder from the replaced file is found superseded); a deleted file errs high.
     */
    @Override
    public long newestToken(String name) throws LockException {
        int slot = slotOf(name);
        Object keyAtPath;
        try {
            keyAtPath = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return wallClockMicros(); // deleted: whatever was granted since is unknown, so err high
        } catch (IOException e) {
            throw new LockException(path, "Cannot read the names lock file's attributes", e);
        }
        // Replaced since this JVM opened it: grants are made in the file now at the path, not in the one open here.
        NamedLockSlot state = fileKey.equals(keyAtPath) ? readSlot(slot) : readSlotOfReplacement(slot);
        return state.doubtful() && !state.empty() ? state.nextToken(wallClockMicros()) : state.newestToken();
    }

    /**
     * A slot of the file that replaced the one open here. Its own descriptor, opened and closed for this read: closing
     * a descriptor drops this JVM's record locks only on the file it names, and that is another file (unless the path
     * were switched back to the open file in the microseconds between the check and the open).
     */
    private NamedLockSlot readSlotOfReplacement(int slot) throws LockException {
        try (RandomAccessFile replacement = new RandomAccessFile(path.toFile(), "r")) {
            byte[] bytes = new byte[NamedLockSlot.SIZE];
            replacement.seek(holdByte(slot));
            int total = 0;
            int n;
            while (total < bytes.length && (n = replacement.read(bytes, total, bytes.length - total)) > 0) {
                total += n;
            }
            return NamedLockSlot.parse(slot, bytes);
        } catch (FileNotFoundException e) {
            return NamedLockSlot.parse(slot, new byte[NamedLockSlot.SIZE]); // gone again: nothing granted there
        } catch (IOException e) {
            throw new LockException(path, "Cannot read the names lock file that replaced the one open here", e);
        }
    }

    private static Object fileKeyOrClose(Path path, RandomAccessFile file) throws LockException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            try {
                file.close();
            } catch (IOException ignored) {
                // failing anyway
            }
            throw new LockException(path, "Cannot read the names lock file's attributes", e);
        }
    }

    /** Whether the path still names the file this instance opened: not deleted, not replaced. */
    boolean isStillAtPath() {
        BasicFileAttributes atPath = CrossProcessLock.attributesAt(path);
        return atPath != null && fileKey.equals(atPath.fileKey());
    }

    /** The totals of this JVM's use of this file since it was opened. */
    @Override
    public NamedLockStatistics statistics() {
        return tally.snapshot();
    }

    /**
     * Lets go of this {@link #open}. The file handle closes once every open is closed and every grant released;
     * closing does not release grants.
     */
    @Override
    public void close() {
        dropReference();
    }

    /** Right after the slot's record lock was taken: the token, made durable, then the grant. */
    private NamedLockGrant grant(String name, int slot, FileLock slotLock, long start) throws LockException {
        Instant now = Instant.now();
        NamedLockSlot state = readSlot(slot);
        long token = state.nextToken(wallClockMicros());
        writeAt(state.writeOffset(token), state.encodeGrant(token, ProcessHandle.current().pid(), now));
        long waitNanos = System.nanoTime() - start;
        NamedLockGrant grant = new NamedLockGrant(this, name, slot, token, slotLock, now, waitNanos);
        tally.granted(waitNanos);
        return grant;
    }

    /** Called once per grant, from whichever thread releases it. */
    void release(NamedLockGrant grant, FileLock slotLock) {
        Turn turn = turns[grant.slot()];
        try {
            turn.yielding = anotherProcessWaits(grant.slot());
            turn.yieldToken = grant.token();
            turn.yieldUntilNanos = System.nanoTime() + YIELD_NANOS;
        } finally {
            // First the record lock, then this JVM's turn: no thread of this JVM may find the gate open while the
            // process still holds the slot.
            releaseQuietly(slotLock);
            long holdNanos = System.nanoTime() - grant.acquiredAtNanos();
            tally.ended(holdNanos);
            turn.gate.release();
            dropReference(); // last: it may close the handle, which must hold no record lock by then
        }
    }

    private void letTheWaitingProcessGoFirst(Turn turn, int slot, long deadline) throws LockException,
            InterruptedException {
        if (!turn.yielding) {
            return;
        }
        turn.yielding = false;
        long until = Math.min(turn.yieldUntilNanos, deadline);
        long pause = FIRST_POLL_NANOS;
        while (until - System.nanoTime() > 0 && readSlot(slot).newestToken() == turn.yieldToken) {
            CrossProcessLock.pause(Math.min(pause, Math.max(0, until - System.nanoTime())));
            pause = Math.min(pause * 2, CrossProcessLock.MAX_POLL_NANOS);
        }
    }

    private FileLock lockSlotUntil(String name, int slot, long deadline, Duration timeout)
            throws NamedLockTimeoutException, LockException, InterruptedException {
        long pause = FIRST_POLL_NANOS;
        FileLock announcement = null;
        try {
            while (true) {
                FileLock slotLock = tryLock(holdByte(slot), false);
                if (slotLock != null) {
                    return slotLock;
                }
                if (announcement == null) {
                    announcement = tryLock(waiterByte(slot), true); // null only while a holder probes
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw timedOut(name, slot, timeout, "another process (" + newestGrantOrWhyNot(slot) + ")");
                }
                CrossProcessLock.pause(Math.min(pause, remaining));
                pause = Math.min(pause * 2, CrossProcessLock.MAX_POLL_NANOS);
            }
        } finally {
            if (announcement != null) {
                releaseQuietly(announcement);
            }
        }
    }

    /** Only the slot's holder asks, and this JVM's other threads never announce on a slot it holds (see Turn). */
    private boolean anotherProcessWaits(int slot) {
        try {
            FileLock probe = tryLock(waiterByte(slot), false);
            if (probe == null) {
                return true;
            }
            releaseQuietly(probe);
            return false;
        } catch (LockException e) {
            return false; // fairness is a courtesy; the release itself must go on
        }
    }

    private NamedLockTimeoutException timedOut(String name, int slot, Duration timeout, String heldBy) {
        tally.timedOut();
        return new NamedLockTimeoutException("names lock file " + path + " (slot " + slot + ", shared by every name"
                                             + " that maps to it)", name, timeout, heldBy);
    }

    /** What a timeout can tell of the holder when the slot's record itself cannot be read: why not. */
    private String newestGrantOrWhyNot(int slot) {
        try {
            return readSlot(slot).describeNewestGrant();
        } catch (LockException e) {
            return "its grant's record is unreadable: " + e.getMessage();
        }
    }

    private static long holdByte(int slot) {
        return (long) slot * NamedLockSlot.SIZE;
    }

    private static long waiterByte(int slot) {
        return holdByte(slot) + 1;
    }

    private FileLock tryLock(long position, boolean shared) throws LockException {
        try {
            return file.getChannel().tryLock(position, 1, shared);
        } catch (OverlappingFileLockException e) {
            throw new LockException(path, "Cannot lock the names lock file: this JVM already locks it through another"
                    + " channel (another path to the same file, or code that locks it without NamedLocks)", e);
        } catch (IOException e) {
            throw new LockException(path, "Cannot lock the names lock file: " + e.getMessage(), e);
        }
    }

    private NamedLockSlot readSlot(int slot) throws LockException {
        NamedLockSlot state = null;
        // A holder in another process may be writing a copy this instant: a torn read looks doubtful, so look again.
        for (int attempt = 0; attempt < 3 && (state == null || state.doubtful()); attempt++) {
            state = NamedLockSlot.parse(slot, readAt(holdByte(slot), NamedLockSlot.SIZE));
        }
        return state;
    }

    private synchronized byte[] readAt(long offset, int length) throws LockException {
        byte[] bytes = new byte[length];
        try {
            file.seek(offset);
            int total = 0;
            int n;
            while (total < length && (n = file.read(bytes, total, length - total)) > 0) {
                total += n;
            }
            return bytes; // past the end of the file: zeros, as a never-written slot
        } catch (IOException e) {
            throw new LockException(path, "Cannot read the names lock file", e);
        }
    }

    private synchronized void writeAt(long offset, byte[] bytes) throws LockException {
        try {
            file.seek(offset);
            file.write(bytes);
        } catch (IOException e) {
            throw new LockException(path, "Cannot write the fencing token to the names lock file", e);
        }
    }

    private static long wallClockMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    private void dropReference() {
        if (users.drop()) {
            synchronized (OPEN_IN_THIS_JVM) {
                if (!users.closeIfUnused()) {
                    return; // opened again meanwhile
                }
                OPEN_IN_THIS_JVM.remove(path, this);
                try {
                    file.close(); // no reference left, so no grant and no record lock through it
                } catch (IOException ignored) {
                    // closed anyway
                }
            }
        }
    }

    private static void releaseQuietly(FileLock fileLock) {
        try {
            fileLock.release();
        } catch (IOException e) {
            // The channel is closed, so the kernel holds nothing for us any more.
        }
    }
}
