package dev.robustmemory.camel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A process of {@link RobustMemoryIdempotentRepositoryProcessTest}: opens the repository, prints {@code READY},
 * waits for a line on stdin (so that all processes start adding at the same moment), then adds the ids
 * {@code id-0} .. {@code id-<count-1>} in order and prints {@code WON <id>} for every add that returned true, and
 * finally {@code DONE <wins>}.
 *
 * <p>Arguments: database path, repository name, number of ids.
 */
public final class IdempotentRaceChild {

    private IdempotentRaceChild() {
    }

    public static void main(String[] args) throws Exception {
        RobustMemoryIdempotentRepository repository = new RobustMemoryIdempotentRepository(args[0], args[1]);
        repository.setLockTimeout("60s");
        int count = Integer.parseInt(args[2]);
        repository.start();
        try {
            System.out.println("READY");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            int wins = 0;
            for (int i = 0; i < count; i++) {
                if (repository.add("id-" + i)) {
                    wins++;
                    System.out.println("WON id-" + i);
                }
            }
            System.out.println("DONE " + wins);
        } finally {
            repository.stop();
        }
    }
}
