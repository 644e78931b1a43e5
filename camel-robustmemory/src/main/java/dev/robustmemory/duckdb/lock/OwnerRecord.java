package dev.robustmemory.duckdb.lock;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
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
 * acquiredAt=2026-11-26T16:05:00.001250300Z
 * fencingToken=42
 * releasedAt=2026-11-26T16:05:00.020031700Z     (empty while held)
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
        SlotWriter slot = new SlotWriter()
                .ascii(MAGIC).newline()
                .ascii("state=").ascii(state.name()).newline()
                .bytes(holder.equals(ProcessIdentity.current()) ? CURRENT_HOLDER_LINES : holderLines(holder))
                .ascii("acquiredAt=").instant(acquiredAt).newline()
                .ascii("fencingToken=").decimal(fencingToken).newline()
                .ascii("releasedAt=").instant(releasedAt).newline();
        return slot.ascii("checksum=" + crc(slot.bytes, slot.length)).newline().padded();
    }

    /** The lines that name the holder: the same in every record a process writes, so this process's are kept. */
    private static final byte[] CURRENT_HOLDER_LINES = holderLines(ProcessIdentity.current());

    private static byte[] holderLines(ProcessIdentity holder) {
        return ("pid=" + holder.pid() + "\nprocessStart=" + orEmpty(holder.processStart()) + "\nhost=" + holder.host()
                + "\nbootId=" + holder.bootId() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The last whole second written as a date, such as {@code 2026-11-26T16:05:00}: formatting a date costs more than
     * the rest of a record, and a holder writes two records in the same second. Shared by threads without
     * synchronisation: a record's fields are final, so a thread sees either an older second or a whole new one.
     */
    private static FormattedSecond lastSecond = FormattedSecond.of(0);

    private record FormattedSecond(long epochSecond, byte[] text) {
        static FormattedSecond of(long epochSecond) {
            String iso = Instant.ofEpochSecond(epochSecond).toString(); // "2026-11-26T16:05:00Z"
            return new FormattedSecond(epochSecond,
                    iso.substring(0, iso.length() - 1).getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Writes the text of a record into a slot-sized array, refusing to run past its end. */
    private static final class SlotWriter {
        private final byte[] bytes = new byte[SLOT_SIZE];
        private int length;

        SlotWriter ascii(String text) {
            ensureRoom(text.length());
            for (int i = 0; i < text.length(); i++) {
                bytes[length++] = (byte) text.charAt(i);
            }
            return this;
        }

        SlotWriter bytes(byte[] text) {
            ensureRoom(text.length);
            System.arraycopy(text, 0, bytes, length, text.length);
            length += text.length;
            return this;
        }

        SlotWriter newline() {
            ensureRoom(1);
            bytes[length++] = '\n';
            return this;
        }

        SlotWriter decimal(long value) {
            return ascii(Long.toString(value));
        }

        /** ISO-8601 in UTC with nine decimals, as {@link Instant#parse} reads it; nothing for null. */
        SlotWriter instant(Instant instant) {
            if (instant == null) {
                return this;
            }
            FormattedSecond second = lastSecond;
            if (second.epochSecond() != instant.getEpochSecond()) {
                second = FormattedSecond.of(instant.getEpochSecond());
                lastSecond = second;
            }
            bytes(second.text());
            ensureRoom(11);
            bytes[length++] = '.';
            int nanos = instant.getNano();
            for (int divisor = 100_000_000; divisor > 0; divisor /= 10) {
                bytes[length++] = (byte) ('0' + nanos / divisor % 10);
            }
            bytes[length++] = 'Z';
            return this;
        }

        /** The slot: the text, then newlines up to its size. */
        byte[] padded() {
            Arrays.fill(bytes, length, SLOT_SIZE, (byte) '\n');
            return bytes;
        }

        private void ensureRoom(int count) {
            if (length + count > SLOT_SIZE) {
                throw new IllegalStateException("Owner record longer than " + SLOT_SIZE
                        + " bytes (host name too long?)");
            }
        }
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
