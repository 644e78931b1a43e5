package dev.robustmemory.duckdb.lock;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A mutual-exclusion lock shared by every thread of every process on one host that names the same lock file.
 *
 * <p><b>What it guarantees.</b> At most one grant is held at a time, across threads (a fair, FIFO in-process gate)
 * and processes (a POSIX record lock, {@code fcntl}, on the file). When a holder dies, even by {@code kill -9}, the
 * kernel releases its record lock at once, so a crash never blocks anyone; the next holder finds the dead holder's
 * owner record and is told so ({@link LockGrant#previousHolderDied()}). A live holder is never broken: not by age,
 * not by a pid check.
 *
 * <p><b>What it does not guarantee.</b> Record locks on network or FUSE file systems may be granted twice, so such
 * paths are refused unless explicitly allowed. Programs that do not use this lock (or use {@code flock}, a
 * different lock family) are not excluded. Deleting or replacing the lock file by hand splits waiters across two
 * files; a holder notices that at {@link LockGrant#ensureValid()} and the next acquisition re-locks the new file.
 *
 * <p><b>Left-over lock files are harmless</b> and this class never deletes or truncates one: unlinking a file
 * that another process holds or waits on is exactly how two holders come about.
 *
 * <p><b>One file handle per lock file per JVM.</b> On Linux, closing <em>any</em> descriptor of a file drops every
 * record lock this process holds on it, so each lock file is opened once per JVM ({@link #open}) and all access,
 * including reading the owner record, goes through that one handle. The handle is closed once every {@link #open} of
 * the file is {@link #close closed} and no grant is held, never while this JVM holds a record lock through it; a
 * second path to an open lock file (a hard link) is refused rather than given a second handle. Code outside this
 * class that opens a held lock file and closes it again drops the lock unnoticed ({@link LockGrant#ensureValid} cannot
 * see that). Locking and record I/O use calls that an interrupt cannot abort ({@code tryLock}, {@code
 * RandomAccessFile} reads and writes, and a memory mapping of the record made while nothing is locked through the
 * handle), because an interrupted channel operation closes the channel and with it the lock.
 */
public final class CrossProcessLock implements AutoCloseable {

    /** The holder locks this byte; the owner record lives in the same bytes, which a record lock does not block. */
    private static final long HOLD_BYTE = 0;
    /**
     * Waiting processes hold a shared lock on this byte, so that a holder can tell in a microsecond, by failing to
     * lock it exclusively, that someone waits ({@link LockGrant#othersWaiting()}).
     */
    private static final long WAITER_BYTE = 1;
    private static final long FIRST_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    /** The wait overshoots the timeout by at most this much, and a released lock is noticed this fast. */
    public static final long MAX_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
    /** Far enough for "forever", near enough that deadlines computed from it never overflow. */
    private static final Duration LONGEST_WAIT = Duration.ofNanos(Long.MAX_VALUE / 4);
    private static final Set<String> NETWORK_FILE_SYSTEMS = Set.of("nfs", "nfs4", "cifs", "smb", "smb2", "smb3",
            "smbfs", "9p", "ceph", "glusterfs", "lustre", "gpfs", "afs", "ncpfs", "davfs", "sshfs", "virtiofs");
    /** The open instances by real path; guarded by itself, and taken before any instance's monitor. */
    private static final Map<Path, CrossProcessLock> LOCKS_OF_THIS_JVM = new HashMap<>();

    private final Path path;
    private final Semaphore gate = new Semaphore(1, true);
    private final AtomicInteger waiting = new AtomicInteger();
    /** Opens not yet closed, plus acquisitions under way, plus the grant held, plus an inspection holding the lock. */
    private final HandleUsers users;
    private volatile Thread holderThread;
    // The handle, the identity of the file it was opened on, and the owner-record slot of that file mapped into
    // memory (null until an acquisition finds the file long enough to map it); guarded by "this". The mapping is
    // touched only right after making sure that the file covers the slot: mapped bytes past the end of a file
    // (another program truncated it) are no part of the file, and touching a page wholly past it faults with an
    // InternalError that the JVM may raise later, outside any handler.
    private RandomAccessFile file;
    private Object openedFileKey;
    private MappedByteBuffer mappedSlot;
    private volatile FaultInjector faults = FaultInjector.NONE;

    private CrossProcessLock(Path path) {
        this.path = path;
        this.users = new HandleUsers("The lock " + path);
    }

    /**
     * The lock for a lock file, creating the file (and its parent directories) when absent. Every call for the same
     * file in this JVM returns the same instance until each of those calls is matched by a {@link #close}.
     *
     * @throws LockException when the path is a directory, not writable, on a refused (network) file system, or the
     *                       same file as another lock file open in this JVM (a hard link, another mount of it)
     */
    public static CrossProcessLock open(Path lockFile, LockFileSettings settings) throws LockException {
        Path realPath = prepareLockFile(lockFile.toAbsolutePath().normalize(), settings);
        synchronized (LOCKS_OF_THIS_JVM) {
            CrossProcessLock existing = LOCKS_OF_THIS_JVM.get(realPath);
            // A closed instance leaves the map under this monitor, so one found here cannot be closed for good.
            if (existing != null && existing.users.retain()) {
                return existing;
            }
            refuseSecondPathToAnOpenLockFile(realPath);
            CrossProcessLock created = new CrossProcessLock(realPath);
            LOCKS_OF_THIS_JVM.put(realPath, created);
            return created;
        }
    }

    /**
     * A timeout in nanoseconds, clamped to a wait that still means "forever" but leaves room to add it to
     * {@link System#nanoTime()}: {@link Duration#toNanos()} itself throws for more than 292 years.
     */
    public static long waitNanos(Duration timeout) {
        return (timeout.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : timeout).toNanos();
    }

    /**
     * Lets go of this {@link #open}: once every open of the file in this JVM is closed and its grant (if any)
     * released, the file handle is closed and a later {@link #open} makes a new instance. Close each open once and use
     * the instance no more afterwards; closing does not release a grant, which keeps the lock until it is closed.
     */
    @Override
    public void close() {
        dropReference();
    }

    /**
     * Two instances on one file would each have a handle on it, and closing either drops the record locks of both
     * (the kernel keeps them per process and file, not per handle).
     */
    private static void refuseSecondPathToAnOpenLockFile(Path realPath) throws LockException {
        BasicFileAttributes attributes = attributesAt(realPath);
        if (attributes == null) {
            return; // gone already: the first handle will fail to open and say so
        }
        for (CrossProcessLock other : LOCKS_OF_THIS_JVM.values()) {
            if (attributes.fileKey().equals(other.fileKey())) {
                throw new LockException(realPath, "The lock file is the same file as the lock file " + other.path
                        + ", open in this JVM (a hard link or another mount of it); use one path for one lock");
            }
        }
    }

    /** The identity of the file the handle is open on, else of the file at the path (null when there is none). */
    private synchronized Object fileKey() {
        // Only an open handle keeps its inode from being reused by a file created since (an interrupt closes it).
        if (openedFileKey != null && file != null && file.getChannel().isOpen()) {
            return openedFileKey;
        }
        BasicFileAttributes atPath = attributesAtPath();
        return atPath == null ? null : atPath.fileKey();
    }

    private void dropReference() {
        if (users.drop()) {
            closeIfUnused();
        }
    }

    private void closeIfUnused() {
        synchronized (LOCKS_OF_THIS_JVM) {
            // Retained again meanwhile (an open() of the same file), or closed by a racing dropReference().
            if (!users.closeIfUnused()) {
                return;
            }
            LOCKS_OF_THIS_JVM.remove(path, this);
            // Still under the registry's monitor: no new instance for this file may open its handle until this one is
            // closed, or closing this one would drop the new one's record locks.
            closeHandle();
        }
    }

    private synchronized void closeHandle() {
        mappedSlot = null; // no descriptor: the kernel unmaps it when the buffer is collected
        if (file != null) {
            try {
                // Nothing is locked through it: every record lock is taken and held under a reference, and there are
                // none left.
                file.close();
            } catch (IOException ignored) {
                // closed anyway; nothing held through it
            }
            file = null;
            openedFileKey = null;
        }
    }

    public Path path() {
        return path;
    }

    /** Threads of this JVM waiting for the lock right now. */
    public int waitingThreads() {
        return waiting.get();
    }

    /**
     * Waits up to {@code timeout} for the lock. A zero timeout tries once without waiting. Whatever this throws, an
     * {@link Error} included, nothing is held afterwards: neither the record lock nor this JVM's turn.
     *
     * @throws LockTimeoutException when the lock stayed held; it names the holder
     * @throws LockException        at once when the failure is not contention (I/O error, permission, directory),
     *                              when the calling thread already holds this lock (no silent re-entry), or when
     *                              this JVM locks the file through another channel (a hard link, foreign code)
     * @throws InterruptedException when the waiting thread is interrupted; nothing is held then
     */
    public LockGrant acquire(Duration timeout) throws LockException, InterruptedException {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("Lock timeout must not be negative: " + timeout);
        }
        if (holderThread == Thread.currentThread()) {
            throw new LockException(path, "Re-entrant acquisition: thread " + Thread.currentThread().getName()
                                          + " already holds this lock; release the outer grant first");
        }
        long start = System.nanoTime();
        long timeoutNanos = waitNanos(timeout);
        users.retainOrRefuse(); // handed to the grant, which drops it when released
        boolean granted = false;
        waiting.incrementAndGet();
        try {
            if (!gate.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
                throw new LockTimeoutException(path, timeout, "another thread of this process (pid "
                        + ProcessIdentity.current().pid() + ")", readOwnerRecord());
            }
            try {
                LockGrant grant = grant(lockFileUntil(start + timeoutNanos, timeout), start);
                granted = true;
                return grant;
            } finally {
                if (!granted) {
                    gate.release();
                }
            }
        } finally {
            waiting.decrementAndGet();
            if (!granted) {
                dropReference();
            }
        }
    }

    /**
     * Turns a record lock just taken into the grant. Whatever is thrown on the way, an Error too, releases the record
     * lock: a caller that got no grant has nothing to close, and a record lock nobody can release blocks every
     * process until this JVM exits.
     */
    private LockGrant grant(FileLock fileLock, long start) throws LockException {
        boolean granted = false;
        try {
            long waitNanos = System.nanoTime() - start;
            // Token 0 until the storage behind the lock hands out this grant's token (publishFencingToken).
            OwnerRecord record = new OwnerRecord(OwnerRecord.State.HELD, ProcessIdentity.current(), Instant.now(), 0,
                    null);
            byte[] previous = takeOverSlot(record);
            faults.at(FaultPoint.HANDING_OUT_GRANT);
            LockGrant grant = new LockGrant(this, fileLock, waitNanos, record, previous);
            holderThread = Thread.currentThread();
            granted = true;
            return grant;
        } finally {
            if (!granted) {
                releaseQuietly(fileLock);
            }
        }
    }

    /** Reads the owner record; usable by anyone at any time (it does not need the lock). */
    public OwnerRecordReading readOwnerRecord() throws LockException {
        OwnerRecordReading reading = null;
        // A holder in another process may be rewriting the slot this instant: a torn read looks corrupt, so look twice.
        for (int attempt = 0; attempt < 3 && (reading == null || reading.isCorrupt()); attempt++) {
            byte[] slot = new byte[OwnerRecord.SLOT_SIZE];
            int length = readSlot(slot);
            reading = OwnerRecord.parse(slot, length);
        }
        return reading;
    }

    /**
     * Looks at the owner record and tells what an operator should know: a holder that died holding the lock
     * ({@link LockEvent.Type#ORPHANED}), one holding longer than {@code staleAfter} (STALE, never broken), an
     * unreadable record (CORRUPT) or a holder on another host (FOREIGN_HOST).
     *
     * <p>With {@code clean} set, an orphaned record is marked {@link OwnerRecord.State#RECOVERED} and a corrupt one
     * rewritten, each only after taking the lock without waiting: a lock someone holds is never touched, and the
     * lock file is never deleted. Without it, nothing on disk changes.
     */
    public Optional<LockEvent> inspect(Duration staleAfter, boolean clean) throws LockException {
        OwnerRecordReading reading = readOwnerRecord();
        Instant now = Instant.now();
        if (reading.isCorrupt()) {
            return whileFree(() -> {
                OwnerRecordReading again = readOwnerRecord(); // under the lock: no holder is mid-write now
                if (!again.isCorrupt()) {
                    return null;
                }
                if (clean) {
                    writeSlot(new OwnerRecord(OwnerRecord.State.RECOVERED, ProcessIdentity.current(), now, 0, now));
                }
                return new LockEvent(LockEvent.Type.CORRUPT, path, again, null, clean, now);
            });
        }
        OwnerRecord record = reading.record();
        if (record == null || record.state() != OwnerRecord.State.HELD) {
            return Optional.empty();
        }
        Duration heldFor = Duration.between(record.acquiredAt(), now);
        return switch (ProcessIdentity.current().judge(record.holder())) {
            case FOREIGN_HOST -> Optional.of(
                    new LockEvent(LockEvent.Type.FOREIGN_HOST, path, reading, heldFor, false, now));
            case DEAD -> whileFree(() -> {
                if (!record.equals(readOwnerRecord().record())) {
                    return null; // a new holder came and went meanwhile; its record stands
                }
                if (clean) {
                    writeSlot(record.withState(OwnerRecord.State.RECOVERED, now));
                }
                return new LockEvent(LockEvent.Type.ORPHANED, path, reading, heldFor, clean, now);
            });
            case ALIVE, UNKNOWN -> heldFor.compareTo(staleAfter) > 0
                    ? Optional.of(new LockEvent(LockEvent.Type.STALE, path, reading, heldFor, false, now))
                    : Optional.empty();
        };
    }

    private interface WorkWhileFree {
        LockEvent run() throws LockException;
    }

    /** Runs {@code work} holding the lock if it can be had without waiting; otherwise does nothing. */
    private Optional<LockEvent> whileFree(WorkWhileFree work) throws LockException {
        users.retainOrRefuse(); // a caller closing the instance meanwhile must not close the handle under this record lock
        try {
            if (!gate.tryAcquire()) {
                return Optional.empty();
            }
            try {
                FileLock fileLock = tryLockFile();
                if (fileLock == null) {
                    return Optional.empty();
                }
                try {
                    return Optional.ofNullable(work.run());
                } finally {
                    releaseQuietly(fileLock);
                }
            } finally {
                gate.release();
            }
        } finally {
            dropReference();
        }
    }

    void release(LockGrant grant, FileLock fileLock) {
        try {
            writeHeldSlot(grant.record().withState(OwnerRecord.State.RELEASED, Instant.now()));
        } catch (LockException e) {
            // The record is advisory; the lock itself must still be released below.
        } finally {
            // First the record lock, then the gate: a thread of this JVM must never see the gate open while the
            // process still holds the file.
            releaseQuietly(fileLock);
            holderThread = null;
            gate.release();
            dropReference(); // the acquisition's, last: it may close the handle, which must hold no lock by then
        }
    }

    void ensureValid(FileLock fileLock) throws LockLostException {
        if (!fileLock.isValid() || !fileLock.channel().isOpen()) {
            throw new LockLostException(path, "the locking channel was closed");
        }
        BasicFileAttributes atPath = attributesAtPath();
        if (atPath == null) {
            throw new LockLostException(path, "the lock file was deleted while held");
        }
        synchronized (this) {
            if (!atPath.fileKey().equals(openedFileKey)) {
                throw new LockLostException(path, "the lock file was replaced while held");
            }
        }
    }

    /**
     * Writes the owner record through the file handle, lengthening a shorter file; for writers that took the lock
     * without {@link #acquire}. A grant's holder writes through {@link #writeHeldSlot} instead.
     */
    synchronized void writeSlot(OwnerRecord record) throws LockException {
        try {
            RandomAccessFile handle = handle();
            handle.seek(0);
            handle.write(record.toSlot());
        } catch (IOException e) {
            throw new LockException(path, "Cannot write the owner record", e);
        }
    }

    private FileLock lockFileUntil(long deadline, Duration timeout) throws LockException, InterruptedException {
        long pause = FIRST_POLL_NANOS;
        FileLock announcement = null;
        try {
            while (true) {
                synchronized (this) {
                    if (announcement == null) {
                        mapSlot(); // only while nothing is locked through the handle: see mapSlot
                    }
                    FileLock fileLock = tryLockFile();
                    if (fileLock != null) {
                        if (keptBecauseAtPath(fileLock)) {
                            return fileLock;
                        }
                        // Someone deleted or replaced the file: we locked an inode nobody else will look at.
                        announcement = null; // it lived on the old file, which reopen() closes
                        reopen();
                        continue;
                    }
                    if (announcement == null) {
                        announcement = tryLockRegion(WAITER_BYTE, true); // null only during a holder's probe
                    }
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw new LockTimeoutException(path, timeout, "another process", readOwnerRecord());
                }
                pause(Math.min(pause, remaining));
                pause = Math.min(pause * 2, MAX_POLL_NANOS);
            }
        } finally {
            if (announcement != null) {
                releaseQuietly(announcement);
            }
        }
    }

    /**
     * Maps the owner-record slot of the handle into memory, so that a holder reads and writes its record without a
     * system call. Only while this JVM locks nothing through the handle (the gate keeps its other threads from
     * locking meanwhile): mapping is a channel operation, and an interrupt during one closes the channel, which would
     * drop every record lock this JVM holds on the file. And only once the file covers the slot, because mapping
     * would lengthen it, and only a holder changes a lock file: until a first holder has written a record, records go
     * through the handle.
     */
    private void mapSlot() throws LockException, InterruptedException {
        if (mappedSlot != null) {
            return;
        }
        try {
            RandomAccessFile handle = handle();
            if (handle.length() >= OwnerRecord.SLOT_SIZE) {
                mappedSlot = handle.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, OwnerRecord.SLOT_SIZE);
            }
        } catch (ClosedByInterruptException e) {
            Thread.interrupted(); // reported as the exception below; the next handle() reopens the closed channel
            throw new InterruptedException("Interrupted while preparing the lock file");
        } catch (IOException e) {
            throw new LockException(path, "Cannot map the owner record into memory", e);
        }
    }

    /** Keeps a record lock just taken when the path still names the locked file, else (or on any failure) releases it. */
    private boolean keptBecauseAtPath(FileLock fileLock) throws LockException {
        boolean atPath = false;
        try {
            atPath = lockedFileIsAtPath();
            return atPath;
        } finally {
            if (!atPath) {
                releaseQuietly(fileLock);
            }
        }
    }

    /**
     * After locking: whether the path still names the file that was locked. A file shortened by another program since
     * it was mapped gets its whole slot back, so that the mapping may be touched.
     */
    private boolean lockedFileIsAtPath() throws LockException {
        faults.at(FaultPoint.CHECKING_LOCKED_FILE);
        BasicFileAttributes atPath = attributesAtPath();
        if (atPath == null || !openedFileKey.equals(atPath.fileKey())) {
            return false;
        }
        if (mappedSlot != null && atPath.size() < OwnerRecord.SLOT_SIZE) {
            try {
                file.setLength(OwnerRecord.SLOT_SIZE); // lengthens only, and only by the holder
            } catch (IOException e) {
                throw new LockException(path, "Cannot restore the owner record slot", e);
            }
        }
        return true;
    }

    /**
     * Right after locking, and after {@link #lockedFileIsAtPath} made the file cover the slot: copies the previous
     * holder's record raw (parsed only if someone asks) and puts the new holder's record in its place.
     */
    private synchronized byte[] takeOverSlot(OwnerRecord record) throws LockException {
        byte[] previous = new byte[OwnerRecord.SLOT_SIZE];
        if (mappedSlot != null) {
            try {
                mappedSlot.get(0, previous);
                mappedSlot.put(0, record.toSlot());
                return previous;
            } catch (InternalError shortenedMeanwhile) {
                // Another program shortened the file between the size check and this copy; a bulk copy's fault
                // surfaces here at once. The handle writes (and lengthens) instead; the next grant maps again.
                mappedSlot = null;
            }
        }
        readSlot(previous); // a fresh lock file (see mapSlot)
        writeSlot(record);
        return previous;
    }

    /** Rewrites the owner record of a grant; only by its holder. */
    synchronized void writeHeldSlot(OwnerRecord record) throws LockException {
        if (mappedSlot != null && fileCoversSlot()) {
            try {
                mappedSlot.put(0, record.toSlot());
                return;
            } catch (InternalError shortenedMeanwhile) {
                mappedSlot = null; // as in takeOverSlot
            }
        }
        writeSlot(record); // lengthens a file that another program shortened
    }

    private boolean fileCoversSlot() throws LockException {
        try {
            return file.length() >= OwnerRecord.SLOT_SIZE;
        } catch (IOException e) {
            throw new LockException(path, "Cannot read the size of the lock file", e);
        }
    }

    /** Sleeps with sub-millisecond precision (Thread.sleep rounds anything below a millisecond up to one). */
    static void pause(long nanos) throws InterruptedException {
        LockSupport.parkNanos(nanos);
        if (Thread.interrupted()) {
            throw new InterruptedException("Interrupted while waiting for the lock");
        }
    }

    /**
     * Whether another process announces that it waits for the lock. Only the holder of {@code held} asks, and no
     * thread of this JVM holds the waiter byte while this JVM holds the lock (its waiters queue at the gate, not on
     * the file): the gate opens only after the record lock is released, and a waiter announces itself only under this
     * monitor, so a record lock found valid here keeps this JVM's waiters off the waiter byte during the probe.
     */
    synchronized boolean anotherProcessWaits(FileLock held) throws LockException {
        if (!held.isValid()) {
            throw new LockLostException(path, "the grant's record lock is no longer held");
        }
        FileLock probe = tryLockRegion(WAITER_BYTE, false);
        if (probe == null) {
            return true;
        }
        releaseQuietly(probe);
        return false;
    }

    private FileLock tryLockFile() throws LockException {
        return tryLockRegion(HOLD_BYTE, false);
    }

    private synchronized FileLock tryLockRegion(long position, boolean shared) throws LockException {
        try {
            return handle().getChannel().tryLock(position, 1, shared);
        } catch (OverlappingFileLockException e) {
            // Not contention: the JVM keeps one table of record locks per file, and this instance's own locks never
            // overlap (the gate and the waiter byte see to that), so the lock comes from outside this instance.
            throw new LockException(path, "Cannot lock the lock file: this JVM already holds a lock on this file"
                    + " through another channel (another path to the same file, such as a hard link, or code that"
                    + " locks it without CrossProcessLock)", e);
        } catch (IOException e) {
            throw new LockException(path, "Cannot lock the lock file: " + e.getMessage(), e);
        }
    }

    private synchronized int readSlot(byte[] slot) throws LockException {
        try {
            RandomAccessFile handle = handle();
            handle.seek(0);
            int total = 0;
            int n;
            while (total < slot.length && (n = handle.read(slot, total, slot.length - total)) > 0) {
                total += n;
            }
            return total;
        } catch (IOException e) {
            throw new LockException(path, "Cannot read the owner record", e);
        }
    }

    private RandomAccessFile handle() throws LockException {
        if (users.isClosed()) {
            throw users.closedError();
        }
        if (file == null || !file.getChannel().isOpen()) {
            reopen();
        }
        return file;
    }

    private void reopen() throws LockException {
        mappedSlot = null; // it belongs to the old handle's file
        if (file != null) {
            try {
                file.close(); // only reached when this JVM holds no lock on it (replaced file or closed channel)
            } catch (IOException ignored) {
                // nothing held through it
            }
        }
        try {
            file = new RandomAccessFile(path.toFile(), "rw");
            BasicFileAttributes opened = attributesAtPath();
            openedFileKey = opened == null ? null : opened.fileKey();
        } catch (FileNotFoundException e) {
            throw new LockException(path, describeOpenFailure(path), e);
        }
        if (openedFileKey == null) {
            throw new LockException(path, "The lock file vanished while being opened");
        }
    }

    private BasicFileAttributes attributesAtPath() {
        return attributesAt(path);
    }

    static BasicFileAttributes attributesAt(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
    }

    /** The places between taking the record lock and handing out the grant where a test may make a failure happen. */
    enum FaultPoint { CHECKING_LOCKED_FILE, HANDING_OUT_GRANT }

    /** Fault injection for tests: throws at a {@link FaultPoint} as a failing disk or the JVM itself might. */
    interface FaultInjector {
        FaultInjector NONE = point -> { };

        void at(FaultPoint point) throws LockException;
    }

    void injectFaults(FaultInjector injector) {
        faults = injector;
    }

    private static void releaseQuietly(FileLock fileLock) {
        try {
            fileLock.release();
        } catch (IOException e) {
            // The channel is closed, so the kernel holds nothing for us any more.
        }
    }

    static Path prepareLockFile(Path lockFile, LockFileSettings settings) throws LockException {
        if (Files.isDirectory(lockFile)) {
            throw new LockException(lockFile, "The lock path is a directory, not a file");
        }
        try {
            Files.createDirectories(lockFile.getParent());
            refuseNetworkFileSystem(lockFile, settings);
            createWithPermissions(lockFile, settings);
            return lockFile.toRealPath();
        } catch (LockException e) {
            throw e;
        } catch (AccessDeniedException e) {
            throw new LockException(lockFile, "Permission denied creating the lock file or its directory", e);
        } catch (IOException e) {
            throw new LockException(lockFile, "Cannot create the lock file: " + e, e);
        }
    }

    /**
     * The type of the file system of {@code directory} when it is a network or FUSE file system, where record locks
     * (and so DuckDB's own) may be granted to two processes at once; empty for a local one.
     */
    public static Optional<String> networkFileSystemType(Path directory) throws IOException {
        String type = Files.getFileStore(directory).type().toLowerCase(Locale.ROOT);
        boolean network = NETWORK_FILE_SYSTEMS.contains(type) || type.startsWith("fuse");
        return network ? Optional.of(type) : Optional.empty();
    }

    private static void refuseNetworkFileSystem(Path lockFile, LockFileSettings settings) throws IOException {
        Optional<String> type = networkFileSystemType(lockFile.getParent());
        if (type.isPresent() && !settings.allowNetworkFileSystem()) {
            throw new LockException(lockFile, "The lock file is on a '" + type.get() + "' file system, where record locks"
                    + " can be granted to two processes at once; use a local file system or set"
                    + " allowNetworkFileSystem=true if you accept that risk");
        }
    }

    private static void createWithPermissions(Path lockFile, LockFileSettings settings) throws IOException {
        try {
            Files.createFile(lockFile, PosixFilePermissions.asFileAttribute(settings.filePermissions()));
            // The umask narrowed what createFile asked for; say it again now the file is ours.
            Files.setPosixFilePermissions(lockFile, settings.filePermissions());
        } catch (FileAlreadyExistsException e) {
            // Someone created it first: an existing lock file keeps its permissions.
        } catch (UnsupportedOperationException e) {
            try {
                Files.createFile(lockFile);
            } catch (FileAlreadyExistsException ignored) {
                // created concurrently
            }
        }
    }

    static String describeOpenFailure(Path path) {
        if (Files.isDirectory(path)) {
            return "The lock path is a directory, not a file";
        }
        if (!Files.exists(path)) {
            return "The lock file does not exist and cannot be created";
        }
        return Files.isWritable(path) ? "Cannot open the lock file" : "Permission denied opening the lock file";
    }

}
