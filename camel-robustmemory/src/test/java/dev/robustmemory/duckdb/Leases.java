package dev.robustmemory.duckdb;

import dev.robustmemory.duckdb.lock.LockGrant;

import java.time.Duration;

/** Test help for the lease: a store keeps the lock between calls while nobody else waits. */
final class Leases {

    private Leases() {
    }

    /**
     * Takes the lock from the store's lease and gives it back at once: the lease lets go when it sees this thread
     * waiting, so the store's next call starts a new lease (new grant, new fencing token).
     */
    static void endLease(DuckDbMemory store) throws Exception {
        try (LockGrant ignored = store.lock().acquire(Duration.ofSeconds(10))) {
            // held for an instant: the point was to make the lease hand over
        }
    }
}
