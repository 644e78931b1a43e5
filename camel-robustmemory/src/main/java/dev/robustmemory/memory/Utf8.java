package dev.robustmemory.memory;

/**
 * UTF-8 facts about Java strings. DuckDB stores text as UTF-8 and silently turns an unpaired UTF-16 surrogate into
 * '?', which would make distinct keys collide and a prefix match the wrong keys, so such text is refused instead.
 */
final class Utf8 {

    private Utf8() {
    }

    /**
     * The UTF-8 length of {@code text}, counted without encoding it.
     *
     * @param what names the text in the error, e.g. "The key"
     * @throws InvalidEntryException when the text has an unpaired surrogate
     */
    static long length(String text, String what) {
        long length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                length += 1;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                       && Character.isLowSurrogate(text.charAt(i + 1))) {
                length += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidEntryException(what + " has an unpaired UTF-16 surrogate at index " + i
                                                + "; it cannot be stored as UTF-8 unchanged");
            } else {
                length += 3;
            }
        }
        return length;
    }
}
