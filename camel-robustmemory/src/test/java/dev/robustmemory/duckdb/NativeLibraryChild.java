package dev.robustmemory.duckdb;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;

/**
 * The other JVMs of {@link NativeLibraryJanitorTest}, each with the test's directory as {@code java.io.tmpdir}.
 * Modes, each printing a word once there and then waiting for its standard input to close (or to be killed):
 * <ul>
 * <li>{@code load}: loads DuckDB through plain JDBC, without the janitor, so its copy stays; prints
 * {@code LOADED <copy>}.</li>
 * <li>{@code write NAME}: creates NAME in the temporary directory and writes into it, as a starting JVM copying the
 * library does, keeping it open; prints {@code WRITING}.</li>
 * </ul>
 */
public final class NativeLibraryChild {

    static final String LOADED = "LOADED ";
    static final String WRITING = "WRITING";

    private NativeLibraryChild() {
    }

    public static void main(String[] args) throws Exception {
        Path temp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
        switch (args[0]) {
            case "load" -> {
                try (Connection connection = DriverManager.getConnection("jdbc:duckdb:")) {
                    System.out.println(LOADED + NativeLibraryJanitor.ownCopy(Path.of("/proc/self/maps"), temp)
                            .orElseThrow());
                    awaitEndOfInput();
                }
            }
            case "write" -> {
                try (OutputStream copy = Files.newOutputStream(temp.resolve(args[1]))) {
                    copy.write(new byte[64 * 1024]);
                    copy.flush();
                    System.out.println(WRITING);
                    awaitEndOfInput();
                }
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void awaitEndOfInput() throws IOException {
        while (System.in.read() >= 0) {
            // until the test closes our input or kills us
        }
    }
}
