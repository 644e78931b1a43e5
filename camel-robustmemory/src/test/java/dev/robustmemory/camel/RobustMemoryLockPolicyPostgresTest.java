package dev.robustmemory.camel;

import org.junit.jupiter.api.Test;

/**
 * The tests of {@link RobustMemoryLockPolicyTest}, on PostgreSQL: the policy's names are lease rows of the memory's
 * locks table, its grants fence the memory's writes as on DuckDB.
 */
class RobustMemoryLockPolicyPostgresTest extends RobustMemoryLockPolicyTest {

    @Override
    void configureMemory(RobustMemoryConfiguration configuration) {
        PostgresBackend.configure(configuration);
    }

    /** The file options are not used on PostgreSQL; a bad table prefix or lease is what fails there. */
    @Override
    @Test
    void badOptionsFailTheRouteAtStart() {
        assertStartFails(new RobustMemoryLockPolicy(null, " "), "needs a lockName");
        RobustMemoryLockPolicy badPrefix = new RobustMemoryLockPolicy(null, "x");
        badPrefix.setTablePrefix("Orders");
        assertStartFails(badPrefix, "The table prefix must be lower-case letters");
        RobustMemoryLockPolicy badLease = new RobustMemoryLockPolicy(null, "x");
        badLease.setLease("0s");
        assertStartFails(badLease, "Invalid value for lock policy option lease: '0s' must be positive");
    }
}
