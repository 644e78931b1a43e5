package dev.robustmemory.duckdb;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import dev.robustmemory.memory.StoreException;
import org.duckdb.DuckDBDriver;

/**
 * The DuckDB file of one memory: which file it is, how a connection to it is opened, and which permissions its
 * files get. It knows nothing of the cross-process lock; callers hold it while a connection is open.
 */
final class DatabaseFile {

    /** DuckDB's words for a file that is not a database ("... but it is not a valid DuckDB database file!"). */
    private static final String NOT_A_DATABASE = "not a valid DuckDB database file";
    /** DuckDB's words when another process has the file open: "Could not set lock on file ... (PID n)". */
    private static final String HELD_BY_ANOTHER_PROCESS = "Could not set lock on file";
    private static final long FIRST_BUSY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_BUSY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Used directly: DriverManager would scan every registered driver under a global lock on each connect. */
    private static final Driver DRIVER = new DuckDBDriver();

    private final Path path;
    private final Path walPath;
    private final Path journalPath;
    private final String url;
    private final Set<PosixFilePermission> newFilePermissions;
    private final boolean posix;
    /** Called each time DuckDB reports the file held by another program; lets tests see the retry happen. */
    private volatile Runnable heldByAnotherProgramListener = () -> { };

    private DatabaseFile(Path path, Set<PosixFilePermission> newFilePermissions) {
        this.path = path;
        this.walPath = path.resolveSibling(path.getFileName() + ".wal");
        this.journalPath = path.resolveSibling(path.getFileName() + ".journal");
        this.url = "jdbc:duckdb:" + path;
        this.newFilePermissions = Set.copyOf(newFilePermissions);
        this.posix = path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Validates a database path and creates its parent directories. Nothing is created at the path itself: DuckDB
     * refuses a pre-created empty file, so the database file appears on the first connection.
     *
     * @throws StoreException for a special name such as {@code :memory:}, a directory, a path DuckDB's JDBC URL
     *                        cannot carry, or a directory or file this process cannot write
     */
    static DatabaseFile prepare(Path requested, Set<PosixFilePermission> newFilePermissions) throws StoreException {
        String text = requested.toString();
        if (text.isBlank()) {
            throw new StoreException("The database path is empty");
        }
        if (text.startsWith(":")) {
            // ":memory:" would give every JVM its own private memory: the lock would guard nothing.
            throw new StoreException("The database '" + text + "' is a DuckDB special name, not a file; a memory"
                                     + " shared by several processes needs a database file path");
        }
        Path database = requested.toAbsolutePath().normalize();
        refuseInUrl(database);
        if (Files.isDirectory(database)) {
            throw new StoreException("The database path " + database + " is a directory, not a DuckDB database file");
        }
        if (Files.exists(database) && !Files.isRegularFile(database)) {
            throw new StoreException("The database path " + database + " is not a regular file");
        }
        Path journal = database.resolveSibling(database.getFileName() + ".journal");
        if (Files.isDirectory(journal)) {
            throw new StoreException("The journal path " + journal + " is a directory; it must be free for the"
                                     + " memory's journal file, which holds acknowledged writes not yet in the"
                                     + " database");
        }
        Path directory = database.getParent();
        try {
            Files.createDirectories(directory);
        } catch (FileAlreadyExistsException e) {
            throw new StoreException("Cannot create the directory " + directory + " for the database: "
                                     + e.getFile() + " exists and is not a directory", e);
        } catch (AccessDeniedException e) {
            throw new StoreException("Permission denied creating the directory " + directory + " for the database", e);
        } catch (IOException e) {
            throw new StoreException("Cannot create the directory " + directory + " for the database: " + e, e);
        }
        if (!Files.isWritable(directory)) {
            throw new StoreException("The directory " + directory + " is not writable by this process; DuckDB must"
                                     + " create the database and its write-ahead log (" + database.getFileName()
                                     + ".wal) there");
        }
        if (Files.exists(database) && !Files.isWritable(database)) {
            throw new StoreException("The database file " + database + " is not writable by this process");
        }
        Path real = canonical(database);
        refuseInUrl(real); // again: a symbolic link may have led there
        return new DatabaseFile(real, newFilePermissions);
    }

    private static void refuseInUrl(Path database) throws StoreException {
        String text = database.toString();
        if (text.contains(";") || !text.equals(text.strip())) {
            throw new StoreException("The database path '" + database + "' contains ';' or surrounding blanks, which"
                                     + " the DuckDB JDBC URL would read as options or trim away");
        }
    }

    /**
     * The path with symbolic links resolved as far as the file system allows: the file's real path when it exists,
     * else its parent's real path plus its name. Two spellings of one file compare equal.
     */
    static Path canonical(Path path) throws StoreException {
        Path absolute = path.toAbsolutePath().normalize();
        try {
            if (Files.exists(absolute)) {
                return absolute.toRealPath();
            }
            Path parent = absolute.getParent();
            return parent != null && Files.exists(parent)
                   ? parent.toRealPath().resolve(absolute.getFileName())
                   : absolute;
        } catch (IOException e) {
            throw new StoreException("Cannot resolve the path " + absolute + ": " + e, e);
        }
    }

    Path path() {
        return path;
    }

    /**
     * Whether a lock file at this path would collide with a file that DuckDB or the journal opens, replaces or
     * deletes.
     */
    boolean isOwnFile(Path file) {
        return file.equals(path) || file.equals(walPath) || file.equals(journalPath)
               || file.equals(WriteAheadJournal.creatingPath(journalPath));
    }

    /**
     * Opens the memory's {@link WriteAheadJournal}, {@code <database>.journal}, creating it with the database file's
     * permissions (it holds values too), and makes sure the database knows it before anything is appended (committed
     * at once). The caller holds the cross-process lock and a connection in manual-commit mode.
     *
     * @throws StoreException also when the journal the database knew was deleted or replaced: the report of
     *                        {@link WriteAheadJournal#lostPredecessor()}, given once (the new journal is recorded
     *                        first, so the next lease goes on with it)
     */
    WriteAheadJournal openJournal(Connection connection, Schema.JournalState state) throws StoreException {
        Optional<Set<PosixFilePermission>> permissions;
        try {
            permissions = posix ? Optional.of(Files.getPosixFilePermissions(path)) : Optional.empty();
        } catch (IOException e) {
            throw new StoreException("Cannot read the permissions of " + path + ": " + e, e);
        }
        WriteAheadJournal journal = null;
        try {
            journal = WriteAheadJournal.open(journalPath, permissions, state);
            if (journal.id() != state.journalId()) {
                Schema.recordJournalId(connection, journal.id());
            }
            connection.commit();
        } catch (SQLException e) {
            if (journal != null) {
                journal.close();
            }
            throw new StoreException("Cannot read or record the journal's id in " + path + ": " + e, e);
        }
        if (journal.lostPredecessor().isPresent()) {
            journal.close();
            throw journal.lostPredecessor().get();
        }
        return journal;
    }

    void onHeldByAnotherProgram(Runnable listener) {
        heldByAnotherProgramListener = listener;
    }

    /**
     * Opens a connection, retrying while another program holds the file, until {@code deadlineNanos}
     * ({@link System#nanoTime()}). The caller must hold the cross-process lock and close the connection before
     * releasing it.
     *
     * @param stillWanted           asked before each retry with DuckDB's refusal (it names the holder); when it turns
     *                              false the open is abandoned
     * @throws StoreException       when the file is not a DuckDB database (left untouched), is still held by another
     *                              program at the deadline, or cannot be opened for another reason
     * @throws InterruptedException when interrupted while waiting for another program to let go
     */
    Connection connect(long deadlineNanos, Duration timeout, Predicate<String> stillWanted)
            throws StoreException, InterruptedException {
        boolean creating = !Files.exists(path);
        Connection connection = connectWhileHeld(deadlineNanos, timeout, stillWanted);
        NativeLibraryJanitor.afterLibraryLoaded();
        try {
            if (creating && posix) {
                // DuckDB created it with the umask; it holds no value yet, so nothing has been readable too widely.
                Files.setPosixFilePermissions(path, newFilePermissions);
            }
            prepareWriteAheadLog();
            return connection;
        } catch (IOException | RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw new StoreException("Cannot set the permissions of " + path + " or its write-ahead log: " + e, e);
        }
    }

    private Connection connectWhileHeld(long deadlineNanos, Duration timeout, Predicate<String> stillWanted)
            throws StoreException, InterruptedException {
        long pause = FIRST_BUSY_PAUSE_NANOS;
        while (true) {
            try {
                return DRIVER.connect(url, new Properties());
            } catch (SQLException e) {
                String message = String.valueOf(e.getMessage());
                if (message.contains(NOT_A_DATABASE)) {
                    throw new StoreException(path + " is not a DuckDB database; it was left untouched (DuckDB: "
                                             + message + ")", e);
                }
                if (!message.contains(HELD_BY_ANOTHER_PROCESS)) {
                    throw new StoreException("Cannot open the DuckDB database " + path + ": " + message, e);
                }
                heldByAnotherProgramListener.run();
                if (!stillWanted.test(message)) {
                    throw new StoreException("Gave up opening " + path + ": every caller waiting for it gave up", e);
                }
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    throw heldFailure(timeout, message, e);
                }
                TimeUnit.NANOSECONDS.sleep(Math.min(pause, remaining));
                pause = Math.min(pause * 2, MAX_BUSY_PAUSE_NANOS);
            }
        }
    }

    /** What tells this file from another one put at its path since: its file key (device and inode). */
    Object identity() throws IOException {
        Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        return key != null ? key : path; // a file system without file keys: a replacement goes unseen
    }

    /** The failure of a caller that gave up while another program held the file, as DuckDB described it. */
    DatabaseHeldException heldFailure(Duration timeout, String refusal, Throwable cause) {
        return new DatabaseHeldException("Another program holds the DuckDB database " + path + " open without the"
                                         + " robustmemory lock; still held after " + timeout.toMillis()
                                         + " ms, nothing was done (DuckDB: " + refusal + ")", cause);
    }

    /**
     * DuckDB creates {@code <database>.wal} with the process umask (usually world-readable) on the first write after
     * each open and deletes it when the last connection closes; it holds the freshest values. DuckDB 1.5 uses an
     * empty log created after the open as its own (and replays it normally after a crash, which the tests check), so
     * creating it here with the database file's permissions means the log is never readable more widely than the
     * database. Mirroring the database (not this process's setting) keeps a group-shared database replayable by
     * every process of the group.
     */
    private void prepareWriteAheadLog() throws IOException {
        if (!posix) {
            return;
        }
        Set<PosixFilePermission> databasePermissions = Files.getPosixFilePermissions(path);
        try {
            Files.createFile(walPath, PosixFilePermissions.asFileAttribute(databasePermissions));
        } catch (FileAlreadyExistsException e) {
            return; // DuckDB's own: left as it is
        }
        Files.setPosixFilePermissions(walPath, databasePermissions); // the umask narrowed what createFile asked for
    }
}
