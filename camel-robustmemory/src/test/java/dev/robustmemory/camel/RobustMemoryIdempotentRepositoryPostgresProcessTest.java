package dev.robustmemory.camel;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.robustmemory.testing.ChildJvm;
import dev.robustmemory.testing.EmbeddedPostgresServer;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Separate JVMs, each with a {@code PGSimpleDataSource} of its own, race {@code add()} of the same ids on one idempotent
 * repository on PostgreSQL ({@link PostgresIdempotentRaceChild}), and one of them is killed ({@code SIGKILL}) mid-race.
 * What each process acknowledged, with when its call started and returned, is checked against the rows: every id is
 * won by exactly one process, every acknowledged win is a row naming that process and added within its call, every
 * loss came after the winner had started adding, and the only id nobody acknowledged is the one the killed process
 * was adding when it died, whose row (if its commit went through) names that process.
 */
class RobustMemoryIdempotentRepositoryPostgresProcessTest {

    private static final int PROCESSES = 4;
    private static final int IDS = 300;
    /** The victim is killed once it has acknowledged this many ids: well before the race ends. */
    private static final int KILL_AFTER = 60;
    private static final Duration PATIENCE = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void everyIdIsWonByExactlyOneProcessAndNoAcknowledgedAddIsLostWhenOneIsKilledMidRace() throws Exception {
        String prefix = EmbeddedPostgresServer.uniquePrefix("race");
        String url = EmbeddedPostgresServer.jdbcUrl();
        List<ChildJvm> children = new ArrayList<>();
        try {
            for (int i = 0; i < PROCESSES; i++) {
                children.add(ChildJvm.start(dir.resolve("tmp-" + i), PostgresIdempotentRaceChild.class, url, prefix,
                        "race", Integer.toString(IDS)));
            }
            for (ChildJvm child : children) {
                child.awaitLine("READY", PATIENCE);
            }
            for (ChildJvm child : children) {
                child.tell("go");
            }
            ChildJvm victim = children.get(0);
            victim.awaitLine("ACK id-" + (KILL_AFTER - 1) + " ", PATIENCE);
            long killing = PostgresIdempotentRaceChild.micros();
            victim.kill9(); // SIGKILL; returns once all the victim printed has been read
            long killed = PostgresIdempotentRaceChild.micros();

            Map<Long, Map<String, Ack>> acksByProcess = new LinkedHashMap<>();
            for (ChildJvm child : children) {
                if (child != victim) {
                    int wins = Integer.parseInt(child.awaitLine("DONE", PATIENCE).substring("DONE ".length()));
                    assertEquals(0, child.awaitExit(PATIENCE), () -> "child output: " + child.transcript());
                    Map<String, Ack> acks = acks(child);
                    assertEquals(IDS, acks.size(), "a survivor acknowledges every id");
                    assertEquals(wins, acks.values().stream().filter(Ack::won).count());
                }
                acksByProcess.put(child.pid(), acks(child));
            }
            Map<String, Ack> victimAcks = acksByProcess.get(victim.pid());
            assertTrue(victimAcks.size() >= KILL_AFTER && victimAcks.size() < IDS, "killed mid-race");
            String inFlight = "id-" + victimAcks.size(); // it adds in order: the id after its last acknowledgement
            for (Ack ack : victimAcks.values()) {
                assertTrue(ack.end() <= killing, "acknowledged before it was killed");
            }

            Map<String, JsonObject> rows = rows(prefix);
            assertEquals(IDS, rows.size(), () -> "every id is a row: " + rows.keySet());
            Map<String, Long> winnerById = new HashMap<>();
            Map<String, Ack> winningAck = new HashMap<>();
            for (Map.Entry<Long, Map<String, Ack>> process : acksByProcess.entrySet()) {
                for (Ack ack : process.getValue().values()) {
                    if (ack.won()) {
                        Long earlier = winnerById.put(ack.id(), process.getKey());
                        assertEquals(null, earlier, () -> ack.id() + " won by " + earlier + " and " + process.getKey());
                        winningAck.put(ack.id(), ack);
                    }
                }
            }
            int unacknowledged = 0;
            for (int i = 0; i < IDS; i++) {
                String id = "id-" + i;
                JsonObject row = rows.get(id);
                long addedAt = micros(Instant.parse(row.getString("addedAt")));
                Long winner = winnerById.get(id);
                if (winner == null) {
                    unacknowledged++;
                    assertEquals(inFlight, id, "only the killed process's add in flight may be nobody's win");
                    assertEquals(victim.pid(), row.getLong("pid"), () -> id + ": committed by the killed process");
                    assertTrue(addedAt <= killed, () -> id + ": added before the kill");
                } else {
                    Ack won = winningAck.get(id);
                    assertEquals(winner, row.getLong("pid"), () -> id + ": the row names the process that won it");
                    assertTrue(won.start() <= addedAt && addedAt <= won.end(),
                            () -> id + ": added at " + addedAt + ", within its winner's call " + won);
                }
                for (Map<String, Ack> acks : acksByProcess.values()) {
                    Ack ack = acks.get(id);
                    if (ack != null && !ack.won()) {
                        assertTrue(addedAt <= ack.end(), () -> id + ": lost at " + ack + " before the winner added it"
                                                               + " at " + addedAt);
                    }
                }
            }

            long afterTheKill = 0;
            long longestAcrossTheKill = 0;
            for (Map.Entry<Long, Map<String, Ack>> process : acksByProcess.entrySet()) {
                if (process.getKey() != victim.pid()) {
                    for (Ack ack : process.getValue().values()) {
                        afterTheKill += ack.start() >= killed ? 1 : 0;
                        if (ack.start() <= killed && ack.end() >= killing) {
                            longestAcrossTheKill = Math.max(longestAcrossTheKill, ack.end() - ack.start());
                        }
                    }
                }
            }
            assertTrue(afterTheKill > 0, "the survivors still raced after the kill");
            StringBuilder wins = new StringBuilder();
            for (Map.Entry<Long, Map<String, Ack>> process : acksByProcess.entrySet()) {
                wins.append(process.getKey() == victim.pid() ? " victim " : " survivor ").append(process.getKey())
                        .append(": ").append(process.getValue().values().stream().filter(Ack::won).count())
                        .append(" won of ").append(process.getValue().size()).append(" acknowledged;");
            }
            System.out.println("PostgreSQL idempotent race of " + PROCESSES + " JVMs over " + IDS + " ids:" + wins
                               + " the victim's in-flight " + inFlight + " was "
                               + (unacknowledged == 1 ? "committed without acknowledgement" : "won by a survivor")
                               + "; " + afterTheKill + " adds after the kill, the longest add across the kill "
                               + longestAcrossTheKill / 1000 + " ms");
        } finally {
            for (ChildJvm child : children) {
                child.close();
            }
        }
    }

    /** What a process acknowledged for one id. */
    private record Ack(String id, boolean won, long start, long end) {
    }

    private static Map<String, Ack> acks(ChildJvm child) {
        Map<String, Ack> acks = new LinkedHashMap<>();
        int next = 0;
        for (String line : child.transcript()) {
            if (line.startsWith("ACK ")) {
                String[] words = line.split(" ");
                assertEquals("id-" + next++, words[1], "acknowledged in order");
                acks.put(words[1], new Ack(words[1], words[2].equals("WON"), Long.parseLong(words[3]),
                        Long.parseLong(words[4])));
            }
        }
        return acks;
    }

    /** The repository's rows: the id, and the JSON saying who added it and when. */
    private static Map<String, JsonObject> rows(String prefix) throws Exception {
        Map<String, JsonObject> rows = new HashMap<>();
        try (Connection connection = EmbeddedPostgresServer.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT key, text_value FROM " + prefix
                                                                    + "entries WHERE starts_with(key, ?)")) {
            select.setString(1, "idempotent/race/");
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    rows.put(row.getString(1).substring("idempotent/race/".length()),
                            (JsonObject) Jsoner.deserialize(row.getString(2)));
                }
            }
        }
        return rows;
    }

    private static long micros(Instant instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
    }
}
