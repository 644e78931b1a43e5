package dev.robustmemory.lock;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The text a holder writes at the start of the lock file once it holds the lock: who holds (or last held) it, since
 * when, and under which fencing token. Only the holder writes it, so a reader may trust that the record describes
 * the process that held the lock last.
 *
 * <p>Format ({@value #SLOT_SIZE} bytes at offset 0, UTF-8, padded with newlines; the checksum is the CRC-32 of all
 * bytes before its own line, so a torn or foreign write is recognised):
 *
 * <pre>
 * robustmemory-lock/1
 * state=HELD|RELEASED|RECOVERED
 * pid=4711
 * processStart=2026-11-26T16:03:18.120Z
 * host=worker-1
 * bootId=6f1c...
 * acquiredAt=2026-11-26T16:05:00.001Z
 * fencingToken=42
 * releasedAt=2026-11-26T16:05:00.020Z     (empty while held)
 * checksum=1c291ca3
 * </pre>
 */
public record OwnerRecord(State state, ProcessIdentity holder, Instant acquiredAt, long fencingToken,
        Instant releasedAt) {

    /** The fixed size of the record slot; every write covers it whole, so a shorter record never leaves a tail. */
    public static final int SLOT_SIZE = 512;

    /** Every version of the format starts with this; a file that does not was written by someone else. */
    static final String FORMAT_FAMILY = "robustmemory-lock/";
    static final String MAGIC = FORMAT_FAMILY + "1";

    public enum State {
        /** The holder holds the lock (or died holding it, if the lock is free). */
        HELD,
        /** The holder released the lock normally. */
        RELEASED,
        /** A later holder or the cleanup found that the holder had died holding the lock, and said so. */
        RECOVERED
    }

    public OwnerRecord withState(State newState, Instant at) {
        return new OwnerRecord(newState, holder, acquiredAt, fencingToken, at);
    }

    public OwnerRecord withFencingToken(long token) {
        return new OwnerRecord(state, holder, acquiredAt, token, releasedAt);
    }

    byte[] toSlot() {
        StringBuilder text = new StringBuilder(256)
                .append(MAGIC).append('\n')
                .append("state=").append(state).append('\n')
                .append("pid=").append(holder.pid()).append('\n')
                .append("processStart=").append(orEmpty(holder.processStart())).append('\n')
                .append("host=").append(holder.host()).append('\n')
                .append("bootId=").append(holder.bootId()).append('\n')
                .append("acquiredAt=").append(acquiredAt).append('\n')
                .append("fencingToken=").append(fencingToken).append('\n')
                .append("releasedAt=").append(orEmpty(releasedAt)).append('\n');
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] checksum = ("checksum=" + crc(body, body.length) + "\n").getBytes(StandardCharsets.UTF_8);
        if (body.length + checksum.length > SLOT_SIZE) {
            throw new IllegalStateException("Owner record longer than " + SLOT_SIZE + " bytes (host name too long?)");
        }
        byte[] slot = new byte[SLOT_SIZE];
        java.util.Arrays.fill(slot, (byte) '\n');
        System.arraycopy(body, 0, slot, 0, body.length);
        System.arraycopy(checksum, 0, slot, body.length, checksum.length);
        return slot;
    }

    /**
     * Parses a slot as read from a lock file. An empty or all-zero slot is a fresh lock file and reads as
     * {@link OwnerRecordReading#absent()}; anything else that does not parse is reported as corrupt, with its text.
     */
    static OwnerRecordReading parse(byte[] slot, int readLength) {
        int length = withoutTrailingZeros(slot, readLength);
        if (length == 0) {
            return OwnerRecordReading.absent();
        }
        String text = new String(slot, 0, length, StandardCharsets.UTF_8);
        int checksumAt = text.indexOf("\nchecksum=");
        if (!text.startsWith(MAGIC + "\n") || checksumAt < 0) {
            return OwnerRecordReading.corrupt(text, "no robustmemory owner record header/checksum");
        }
        int bodyLength = text.substring(0, checksumAt + 1).getBytes(StandardCharsets.UTF_8).length;
        int end = text.indexOf('\n', checksumAt + 1);
        String declared = text.substring(checksumAt + "\nchecksum=".length(), end < 0 ? text.length() : end);
        if (!declared.equals(crc(slot, bodyLength))) {
            return OwnerRecordReading.corrupt(text, "checksum mismatch (torn or foreign write)");
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : text.substring(MAGIC.length() + 1, checksumAt).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        try {
            ProcessIdentity holder = new ProcessIdentity(Long.parseLong(fields.get("pid")),
                    instantOrNull(fields.get("processStart")), fields.get("host"), fields.getOrDefault("bootId", ""));
            return OwnerRecordReading.of(new OwnerRecord(State.valueOf(fields.get("state")), holder,
                    Instant.parse(fields.get("acquiredAt")), Long.parseLong(fields.get("fencingToken")),
                    instantOrNull(fields.get("releasedAt"))));
        } catch (RuntimeException e) {
            return OwnerRecordReading.corrupt(text, "unreadable field: " + e.getMessage());
        }
    }

    /** Zero bytes at the end are no part of the text: they are where a lock file was lengthened to a whole slot. */
    private static int withoutTrailingZeros(byte[] slot, int length) {
        int end = length;
        while (end > 0 && slot[end - 1] == 0) {
            end--;
        }
        return end;
    }

    private static String crc(byte[] bytes, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, length);
        String hex = Long.toHexString(crc.getValue()); // not String.format: this runs twice per grant
        return "0".repeat(8 - hex.length()) + hex;
    }

    private static Object orEmpty(Instant instant) {
        return instant == null ? "" : instant;
    }

    private static Instant instantOrNull(String text) {
        return text == null || text.isEmpty() ? null : Instant.parse(text);
    }
}
