package dev.robustmemory.camel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A process of {@link RobustMemoryStateRepositoryProcessTest}: starts a state repository, prints {@code READY}, then
 * runs commands from stdin: {@code set <key> <value>} prints {@code SET <key>} once the call returned, {@code get
 * <key>} prints {@code STATE <key> <value or null>}. Closing stdin stops the repository and exits.
 *
 * <p>Arguments: database path, repository name.
 */
public final class StateChild {

    private StateChild() {
    }

    public static void main(String[] args) throws Exception {
        RobustMemoryStateRepository repository = new RobustMemoryStateRepository(args[0], args[1]);
        repository.setLockTimeout("60s");
        repository.start();
        System.out.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] words = line.split(" ");
            switch (words[0]) {
                case "set" -> {
                    repository.setState(words[1], words[2]);
                    System.out.println("SET " + words[1]);
                }
                case "get" -> System.out.println("STATE " + words[1] + " " + repository.getState(words[1]));
                default -> throw new IllegalArgumentException("Unknown command: " + line);
            }
        }
        repository.stop();
    }
}
