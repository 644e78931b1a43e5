package dev.robustmemory.camel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * A process of {@link RobustMemoryIdempotentRepositoryPostgresProcessTest}: an idempotent repository on PostgreSQL
 * tables through a {@link PGSimpleDataSource} of its own (a connection per call, as a host without a pool has). Prints
 * {@code READY}, waits for a line on stdin (so that all processes start at once), then adds the ids {@code id-0} ..
 * {@code id-<count-1>} in order, printing for each, once {@code add} returned, {@code ACK <id> WON <start> <end>} or
 * {@code ACK <id> LOST <start> <end>} (the wall clock in microseconds since the epoch just before the call and just
 * after it returned), and finally {@code DONE <wins>}. A line printed is an acknowledgement: the test holds the
 * memory to it.
 *
 * <p>Arguments: JDBC URL, table prefix, repository name, number of ids.
 */
public final class PostgresIdempotentRaceChild {

    private PostgresIdempotentRaceChild() {
    }

    public static void main(String[] args) throws Exception {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(args[0]);
        RobustMemoryIdempotentRepository repository = new RobustMemoryIdempotentRepository();
        repository.setBackend(RobustMemoryBackend.postgresql);
        repository.setDataSource(dataSource);
        repository.setTablePrefix(args[1]);
        repository.setName(args[2]);
        repository.setLockTimeout("60s");
        int count = Integer.parseInt(args[3]);
        repository.start();
        try {
            repository.contains("warm-up"); // connects and creates the tables before the race, not in it
            System.out.println("READY");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            int wins = 0;
            for (int i = 0; i < count; i++) {
                String id = "id-" + i;
                long start = micros();
                boolean won = repository.add(id);
                long end = micros();
                wins += won ? 1 : 0;
                System.out.println("ACK " + id + (won ? " WON " : " LOST ") + start + " " + end);
            }
            System.out.println("DONE " + wins);
        } finally {
            repository.stop();
        }
    }

    static long micros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }
}
