package dev.robustmemory.history;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A concurrent history: every operation with its invocation, its outcome and its times, merged from the logs of all
 * the JVMs of a run (and the test's own log, which records when it killed which JVM). Pure data: the
 * {@link HistoryChecker} judges it.
 */
public final class History {

    private final List<Operation> operations;
    private final Map<String, Long> deaths;

    private History(List<Operation> operations, Map<String, Long> deaths) {
        this.operations = List.copyOf(operations);
        this.deaths = Map.copyOf(deaths);
    }

    /** Operations in invocation order. */
    public List<Operation> operations() {
        return operations;
    }

    /** When each killed process was known dead (monotonic nanoseconds), by process label. */
    public Map<String, Long> deaths() {
        return deaths;
    }

    /** The earliest invocation: reports give times relative to it. */
    public long originNanos() {
        return operations.isEmpty() ? 0 : operations.get(0).invokedNanos();
    }

    public long count(Operation.Status status) {
        return operations.stream().filter(op -> op.status() == status).count();
    }

    /** Failed operations by exception class, for the run summary. */
    public Map<String, Long> failuresByClass() {
        Map<String, Long> counts = new TreeMap<>();
        for (Operation op : operations) {
            if (op.isFailed()) {
                counts.merge(op.error().split(" ", 2)[0], 1L, Long::sum);
            }
        }
        return counts;
    }

    /**
     * Reads the logs of a run. Every line must be whole: the recorder writes each with one {@code write(2)}, so even
     * a JVM killed with SIGKILL leaves none half-written, and a torn line means the recorder is broken.
     */
    public static History read(Collection<Path> logs) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Path log : logs) {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            if (!text.isEmpty() && !text.endsWith("\n")) {
                throw new IllegalArgumentException(log + " ends in a torn line: '"
                                                   + text.substring(text.lastIndexOf('\n') + 1) + "'");
            }
            text.lines().forEach(lines::add);
        }
        return parse(lines);
    }

    /** Parses log lines (blank lines and lines starting with '#' are skipped, for hand-written histories). */
    public static History parse(String text) {
        return parse(text.lines().toList());
    }

    private static History parse(List<String> lines) {
        Map<String, Pending> byId = new LinkedHashMap<>();
        Map<String, Long> deaths = new HashMap<>();
        List<Operation> done = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank() || line.trim().startsWith("#")) {
                continue;
            }
            HistoryFormat.Event event = HistoryFormat.parse(line);
            if (event instanceof HistoryFormat.Invoked invoked) {
                String id = invoked.process() + "#" + invoked.call().id();
                if (byId.put(id, new Pending(invoked.call(), invoked.nanos())) != null) {
                    throw new IllegalArgumentException("Operation " + id + " invoked twice: " + line);
                }
            } else if (event instanceof HistoryFormat.Killed killed) {
                deaths.merge(killed.process(), killed.nanos(), Math::min);
            } else {
                long opId = event instanceof HistoryFormat.Completed c ? c.id() : ((HistoryFormat.Failed) event).id();
                Pending pending = byId.remove(event.process() + "#" + opId);
                if (pending == null) {
                    throw new IllegalArgumentException("Completion of an operation never invoked: " + line);
                }
                if (event.nanos() < pending.invokedNanos()) {
                    throw new IllegalArgumentException("Completed before it was invoked: " + line);
                }
                done.add(complete(pending, event));
            }
        }
        Map<String, TreeSet<Long>> invocationsByThread = new HashMap<>();
        for (Operation op : done) {
            invocationsByThread.computeIfAbsent(threadOf(op.call()), thread -> new TreeSet<>()).add(op.invokedNanos());
        }
        for (Pending pending : byId.values()) {
            invocationsByThread.computeIfAbsent(threadOf(pending.call()), thread -> new TreeSet<>())
                    .add(pending.invokedNanos());
        }
        for (Pending pending : byId.values()) {
            // A thread runs one operation at a time: one whose outcome it could not tell (OutcomeUnknownException,
            // a commit whose answer was lost) had taken effect or not by the time the thread invoked its next one.
            long dead = deaths.getOrDefault(pending.call().process(), Long.MAX_VALUE);
            Long next = invocationsByThread.get(threadOf(pending.call())).higher(pending.invokedNanos());
            done.add(new Operation(pending.call(), pending.invokedNanos(), Operation.Status.UNKNOWN,
                    next == null ? dead : Math.min(dead, next - 1), 0, null, null));
        }
        done.sort(Comparator.comparingLong(Operation::invokedNanos));
        return new History(done, deaths);
    }

    private static Operation complete(Pending pending, HistoryFormat.Event event) {
        if (event instanceof HistoryFormat.Completed ok) {
            return new Operation(pending.call(), pending.invokedNanos(), Operation.Status.OK, ok.nanos(),
                    ok.revision(), Result.parse(pending.call().type(), ok.result()), null);
        }
        HistoryFormat.Failed failed = (HistoryFormat.Failed) event;
        return new Operation(pending.call(), pending.invokedNanos(), Operation.Status.FAILED, failed.nanos(), 0,
                null, failed.error());
    }

    private static String threadOf(Invocation call) {
        return call.process() + "/" + call.thread();
    }

    private record Pending(Invocation call, long invokedNanos) {
    }
}
