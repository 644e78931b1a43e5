package dev.robustmemory.duckdb.lock;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures between taking the record lock and handing out the grant: whatever is thrown there reaches the caller and
 * the record lock is released, as another JVM can tell by taking it.
 */
class CrossProcessLockFaultTest {

    @TempDir
    Path dir;

    static Stream<Arguments> faults() {
        return Arrays.stream(CrossProcessLock.FaultPoint.values()).flatMap(point -> Stream.of(
                Arguments.of(point, fault("LockException", file -> new LockException(file, "injected disk error"))),
                Arguments.of(point, fault("RuntimeException", file -> new IllegalStateException("injected bug"))),
                Arguments.of(point, fault("Error", file -> new OutOfMemoryError("injected")))));
    }

    private static Named<Function<Path, Throwable>> fault(String name, Function<Path, Throwable> fault) {
        return Named.of(name, fault);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("faults")
    void aFailureBeforeTheGrantIsHandedOutReleasesTheRecordLock(CrossProcessLock.FaultPoint point,
                                                                Function<Path, Throwable> fault) throws Exception {
        CrossProcessLock lock = CrossProcessLock.open(dir.resolve("f.lock"), LockFileSettings.defaults());
        Throwable injected = fault.apply(lock.path());
        lock.injectFaults(at -> {
            if (at == point) {
                throwUnchecked(injected);
            }
        });

        assertSame(injected, assertThrows(Throwable.class, () -> lock.acquire(Duration.ofSeconds(5))));

        assertEquals("FREE", LockChild.probe(lock.path(), dir.resolve("tmp")), "another JVM can take the lock");
        lock.injectFaults(CrossProcessLock.FaultInjector.NONE);
        try (LockGrant again = lock.acquire(Duration.ZERO)) {
            again.ensureValid(); // neither the gate nor this JVM's record lock table kept the failed attempt
        }
    }

    @Test
    void aRecordLockThisJvmTookWithoutThisClassIsAClearErrorAndLeavesNothingHeld() throws Exception {
        CrossProcessLock lock = CrossProcessLock.open(dir.resolve("f.lock"), LockFileSettings.defaults());
        try (FileChannel elsewhere = FileChannel.open(lock.path(), StandardOpenOption.WRITE)) {
            elsewhere.lock(0, 1, false); // the JVM's lock table now refuses any overlapping lock on this file

            LockException e = assertThrows(LockException.class, () -> lock.acquire(Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("this JVM already holds a lock on this file"), e.getMessage());
        } // closing that channel drops every record lock of this JVM on the file, which is what makes this test end
        assertEquals("FREE", LockChild.probe(lock.path(), dir.resolve("tmp")));
        try (LockGrant grant = lock.acquire(Duration.ZERO)) {
            grant.ensureValid();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void throwUnchecked(Throwable t) throws T {
        throw (T) t;
    }
}
