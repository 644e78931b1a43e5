package dev.robustmemory.duckdb.lock;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.zip.CRC32C;

/**
 * The on-disk state of one slot of a names lock file: two copies of the newest grant (token, holder pid, grant time),
 * each with a CRC32C over the slot index and its content. A grant with token {@code t} is written to copy {@code t %
 * 2}, so the write that a crash tears is never the one that holds the newest token granted before it.
 *
 * <p><b>Why tokens never go backwards.</b> The next token is the newest readable token plus one, unless a copy is
 * unreadable (a torn write, a corrupt or truncated file) or the slot was never written: then nothing proves which
 * token was the newest, and the next token is at least the wall clock in microseconds since the epoch. Tokens grow by
 * one per grant and every grant waits for a durable write (well over a microsecond), so a token is always below the
 * wall clock in microseconds: a jump to the clock lands above every token granted before, as long as the clock does
 * not step back further than that margin. A grant made from a doubtful slot writes both copies, so that afterwards
 * both are always readable and any unreadable copy (zeros included: a file cut short) is doubt.
 *
 * @param slot        the slot index
 * @param newestToken the newest readable token, 0 when no copy is readable
 * @param holderPid   the pid of that grant's process (0 when none)
 * @param grantedAt   when that grant was made (null when none)
 * @param doubtful    whether a copy is unreadable or the slot was never written, so the newest token is unproven
 * @param empty       whether the slot is all zeros (never written, or past the end of the file)
 */
record NamedLockSlot(int slot, long newestToken, long holderPid, Instant grantedAt, boolean doubtful, boolean empty) {

    /** Bytes of one slot in the file: two copies. Slot {@code i} starts at {@code i * SIZE}. */
    static final int SIZE = 64;
    private static final int COPY_SIZE = SIZE / 2;
    private static final int CONTENT_SIZE = 3 * Long.BYTES;

    static NamedLockSlot parse(int slot, byte[] region) {
        ByteBuffer bytes = ByteBuffer.wrap(region);
        long newest = 0;
        long pid = 0;
        Instant at = null;
        boolean doubtful = false;
        for (int copy = 0; copy < 2; copy++) {
            int offset = copy * COPY_SIZE;
            long token = bytes.getLong(offset);
            if (bytes.getInt(offset + CONTENT_SIZE) != checksum(slot, region, offset)) {
                doubtful = true; // a never-written copy is all zeros, whose checksum is not zero: doubtful too
            } else if (token > newest) {
                newest = token;
                pid = bytes.getLong(offset + Long.BYTES);
                at = Instant.ofEpochMilli(bytes.getLong(offset + 2 * Long.BYTES));
            }
        }
        boolean empty = true;
        for (byte b : region) {
            empty &= b == 0;
        }
        return new NamedLockSlot(slot, newest, pid, at, doubtful, empty);
    }

    /** The token of the next grant: see the class comment. */
    long nextToken(long wallClockMicros) {
        return doubtful ? Math.max(newestToken + 1, wallClockMicros) : newestToken + 1;
    }

    /** Where the record of grant {@code token} goes: its own copy, or both copies after doubt. */
    long writeOffset(long token) {
        return (long) slot * SIZE + (doubtful ? 0 : (token & 1) * COPY_SIZE);
    }

    /** The bytes that record grant {@code token}, to be written at {@link #writeOffset}. */
    byte[] encodeGrant(long token, long holderPid, Instant grantedAt) {
        byte[] copy = new byte[COPY_SIZE];
        ByteBuffer.wrap(copy).putLong(token).putLong(holderPid).putLong(grantedAt.toEpochMilli())
                .putInt(checksum(slot, copy, 0));
        if (!doubtful) {
            return copy;
        }
        byte[] both = new byte[SIZE];
        System.arraycopy(copy, 0, both, 0, COPY_SIZE);
        System.arraycopy(copy, 0, both, COPY_SIZE, COPY_SIZE);
        return both;
    }

    private static int checksum(int slot, byte[] bytes, int offset) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(Integer.BYTES).putInt(0, slot));
        crc.update(bytes, offset, CONTENT_SIZE);
        return (int) crc.getValue();
    }

    /** Who made the newest grant, for messages. */
    String describeNewestGrant() {
        if (newestToken == 0) {
            return "no grant recorded";
        }
        return "newest grant token " + newestToken + " to pid " + holderPid + " at " + grantedAt;
    }
}
