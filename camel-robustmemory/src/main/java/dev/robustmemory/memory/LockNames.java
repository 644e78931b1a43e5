package dev.robustmemory.memory;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** What a named lock's name may be on every backend: 1 to {@value #MAX_NAME_BYTES} UTF-8 bytes of valid Unicode. */
public final class LockNames {

    /** The longest name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 1024;

    private LockNames() {
    }

    /**
     * The name's UTF-8 bytes.
     *
     * @throws IllegalArgumentException for a name that is empty, longer than {@link #MAX_NAME_BYTES} UTF-8 bytes, or
     *                                  not valid Unicode text
     */
    public static byte[] utf8(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("A lock name must not be empty");
        }
        ByteBuffer bytes;
        try {
            // Strictly: the lenient String.getBytes turns every unpaired surrogate into '?', merging distinct names.
            bytes = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(name));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("A lock name must be valid Unicode text (it has an unpaired surrogate)");
        }
        if (bytes.remaining() > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("A lock name must be at most " + MAX_NAME_BYTES + " UTF-8 bytes, not "
                                               + bytes.remaining() + ": " + name.substring(0, 40) + "...");
        }
        byte[] array = new byte[bytes.remaining()];
        bytes.get(array);
        return array;
    }
}
