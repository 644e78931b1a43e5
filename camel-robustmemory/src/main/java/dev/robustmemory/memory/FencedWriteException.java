package dev.robustmemory.memory;

/**
 * A write fenced by a named lock ({@link MemorySession#requireNewestGrant}) was refused because the token it carried is
 * not the newest grant of that name: its holder lost the name (or never had that grant) and a newer holder may have
 * written since. On PostgreSQL also when it is the newest grant but no longer in force (its lease expired, or it was
 * released): its holder may have been paused past its lease. Nothing of the work was written.
 */
public class FencedWriteException extends StoreException {

    private final String lockName;
    private final long carriedToken;
    private final long newestToken;

    public FencedWriteException(String lockName, long carriedToken, long newestToken) {
        super("Write refused: it is fenced by the named lock '" + lockName + "' with token " + carriedToken
              + ", but the newest grant of that name has token " + newestToken
              + (carriedToken < newestToken
                 ? ": the lock was lost or taken over by a newer holder, whose writes this one must not overwrite"
                 : ": that token was never granted for this name (its names lock file was replaced, or the token"
                   + " belongs to another name or memory)")
              + "; nothing was written");
        this.lockName = lockName;
        this.carriedToken = carriedToken;
        this.newestToken = newestToken;
    }

    /**
     * A refusal for a reason of the backend's, which the message states: {@code "but " + reason}. A backend with
     * leases (PostgreSQL) refuses a newest grant whose lease expired or that was released: then
     * {@code carriedToken == newestToken}.
     */
    public FencedWriteException(String lockName, long carriedToken, long newestToken, String reason) {
        super("Write refused: it is fenced by the named lock '" + lockName + "' with token " + carriedToken + ", but "
              + reason + "; nothing was written");
        this.lockName = lockName;
        this.carriedToken = carriedToken;
        this.newestToken = newestToken;
    }

    public String lockName() {
        return lockName;
    }

    /** The token the refused write carried. */
    public long carriedToken() {
        return carriedToken;
    }

    /** The newest token granted for the name when the write was refused. */
    public long newestToken() {
        return newestToken;
    }
}
