package dev.robustmemory.duckdb.lock;

/** What this process can tell about the process named by an owner record. */
public enum HolderStatus {
    /** Same host and boot, and a process with that pid and start instant runs. */
    ALIVE,
    /** Same host: the pid is gone, reused by a process with another start instant, or the host rebooted since. */
    DEAD,
    /** The record names another host: nothing about its holder can be proven from here. */
    FOREIGN_HOST,
    /** Same host and pid, but the start instant of one side is unknown: treated as alive. */
    UNKNOWN
}
