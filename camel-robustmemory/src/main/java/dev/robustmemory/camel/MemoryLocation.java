package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;

import javax.sql.DataSource;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.duckdb.lock.NamedLocks;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.NamedLockService;
import dev.robustmemory.postgresql.PostgresMemory;
import dev.robustmemory.postgresql.PostgresNamedLocks;

/**
 * Where a memory lives, as the endpoint options name it: the one thing the Camel side knows of its backend. Two
 * locations that are equal are one memory, and the component opens it once.
 */
sealed interface MemoryLocation permits MemoryLocation.DuckDb, MemoryLocation.Postgres {

    /**
     * What the component keeps one monitor (statistics, health check, management view) for: the database file on
     * DuckDB, whatever its lock file settings; the data source and table prefix on PostgreSQL.
     */
    Object memoryKey();

    /** The memory in words and in meter tags, health check ids and MBean names: a path, or postgresql:prefix. */
    String displayName();

    /** Opens the memory; opening takes no lock and reaches no database (see each backend's open). */
    Memory open() throws Exception;

    /** Opens the memory's named locks (the lock policy's). */
    NamedLockService openNamedLocks(Duration lease) throws Exception;

    /** A memory in an embedded DuckDB file under the host's file lock. */
    record DuckDb(StoreSettings settings) implements MemoryLocation {

        @Override
        public Path memoryKey() {
            return settings.database();
        }

        @Override
        public String displayName() {
            return settings.database().toString();
        }

        @Override
        public DuckDbMemory open() throws Exception {
            return DuckDbMemory.open(settings);
        }

        /** The names lock file beside the database; the lease is PostgreSQL's alone (a dead holder's kernel lock goes). */
        @Override
        public NamedLockService openNamedLocks(Duration lease) throws Exception {
            return NamedLocks.open(NamedLocks.fileFor(settings.database()), settings.lockFileSettings());
        }
    }

    /** A memory in the tables {@code <tablePrefix>*} of a PostgreSQL database. */
    record Postgres(DataSource dataSource, String tablePrefix, long maxValueSize) implements MemoryLocation {

        @Override
        public Postgres memoryKey() {
            return this;
        }

        @Override
        public String displayName() {
            return "postgresql:" + tablePrefix;
        }

        @Override
        public PostgresMemory open() {
            return PostgresMemory.open(dataSource, tablePrefix, maxValueSize);
        }

        @Override
        public NamedLockService openNamedLocks(Duration lease) {
            return PostgresNamedLocks.open(dataSource, tablePrefix, lease);
        }
    }
}
