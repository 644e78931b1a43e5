package dev.robustmemory.history;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The recorder's lines read back as the same history; what a broken log looks like is refused. */
class HistoryLogTest {

    @TempDir
    Path directory;

    @Test
    void everyEventReadsBackAsWritten() throws IOException {
        Path log = directory.resolve("p1.log");
        Invocation store = Invocation.of("p1", "t0", 1, OpType.STORE, "a/1").writing("w1-1").via("sync", 5000);
        Invocation cas = Invocation.of("p1", "t1", 2, OpType.CAS, "a/1").writing("w1-2").expecting(7)
                .via("async", 0);
        Invocation increment = Invocation.of("p1", "t2", 3, OpType.INCREMENT, "n").adding(-3).via("async", 1);
        Invocation keys = Invocation.of("p1", "t3", 4, OpType.KEYS, "a/").via("sync", 5000);
        Invocation size = Invocation.of("p1", "t0", 5, OpType.SIZE, null).via("sync", 5000);
        try (HistoryRecorder recorder = new HistoryRecorder(log)) {
            recorder.invoked(store);
            recorder.invoked(cas);
            recorder.invoked(increment);
            recorder.invoked(keys);
            recorder.invoked(size);
            recorder.ok(store, 4, new Result.Written(4));
            recorder.ok(cas, 4, new Result.Conflict(4));
            recorder.failed(increment, new IOException("Lock held\nby another process"));
            recorder.ok(keys, 4, new Result.KeyList(List.of("a/1", "a/2")));
        }
        Path testLog = directory.resolve("test.log");
        try (HistoryRecorder recorder = new HistoryRecorder(testLog)) {
            recorder.killed("p1");
        }

        History history = History.read(List.of(log, testLog));

        List<Operation> ops = history.operations();
        assertEquals(List.of(store, cas, increment, keys, size), ops.stream().map(Operation::call).toList());
        assertEquals(new Result.Written(4), ops.get(0).result());
        assertEquals(4, ops.get(0).revision());
        assertEquals(new Result.Conflict(4), ops.get(1).result());
        assertEquals("java.io.IOException Lock held by another process", ops.get(2).error());
        assertEquals(new Result.KeyList(List.of("a/1", "a/2")), ops.get(3).result());
        assertEquals(Operation.Status.UNKNOWN, ops.get(4).status());
        assertEquals(history.deaths().get("p1"), ops.get(4).completedNanos(), "an unknown op ends with its JVM");
        assertTrue(ops.get(0).invokedNanos() <= ops.get(4).invokedNanos()
                   && ops.get(4).invokedNanos() <= ops.get(0).completedNanos());
    }

    @Test
    void linesOfConcurrentThreadsNeverInterleave() throws Exception {
        Path log = directory.resolve("p1.log");
        int threads = 4;
        int perThread = 500;
        CountDownLatch start = new CountDownLatch(1);
        try (HistoryRecorder recorder = new HistoryRecorder(log)) {
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String thread = "t" + t;
                writers.add(new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int n = 0; n < perThread; n++) {
                        Invocation call = Invocation.of("p1", thread, (long) n * threads + thread.charAt(1) - '0',
                                OpType.LOAD, "a/1").via("sync", 5000);
                        recorder.invoked(call);
                        recorder.ok(call, n, new Result.Found("w1-" + n, n));
                    }
                }));
            }
            writers.forEach(Thread::start);
            start.countDown();
            for (Thread writer : writers) {
                writer.join();
            }
        }
        assertEquals(threads * perThread, History.read(List.of(log)).count(Operation.Status.OK));
    }

    @Test
    void aTornLastLineIsRefused() throws IOException {
        Path log = directory.resolve("p1.log");
        Files.writeString(log, "10 p1 t0 1 invoke load a/1 -\n20 p1 t0 1 ok 3 w1", StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> History.read(List.of(log)));
        assertTrue(e.getMessage().contains("torn line"), e.getMessage());
    }

    @Test
    void aCompletionWithoutItsInvocationIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> History.parse("20 p1 t0 1 ok 3 w1-1@3\n"));
        assertTrue(e.getMessage().contains("never invoked"), e.getMessage());
    }

    @Test
    void anInvocationLoggedTwiceIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> History.parse("""
                10 p1 t0 1 invoke load a/1 -
                20 p1 t0 1 invoke load a/1 -
                """));
    }

    @Test
    void aValueThatWouldSplitTheLineIsRefusedWhenWritten() {
        Invocation call = Invocation.of("p1", "t0", 1, OpType.STORE, "a/1").writing("two words");
        assertThrows(IllegalArgumentException.class, () -> HistoryFormat.invoke(0, call));
    }
}
