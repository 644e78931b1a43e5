package dev.robustmemory.duckdb.lock;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Who a process is, as far as one host can tell: pid, start instant, host name and boot id. A pid alone is not an
 * identity (pids are reused), and nothing about a process can be proven from another host or another boot.
 */
public record ProcessIdentity(long pid, Instant processStart, String host, String bootId) {

    /** Start instants are reported with coarse clock ticks; closer than this counts as the same process. */
    static final Duration START_TOLERANCE = Duration.ofSeconds(1);

    private static final ProcessIdentity CURRENT = new ProcessIdentity(
            ProcessHandle.current().pid(),
            ProcessHandle.current().info().startInstant().orElse(null),
            readHostName(),
            readFirstLine(Path.of("/proc/sys/kernel/random/boot_id")).orElse(""));

    public static ProcessIdentity current() {
        return CURRENT;
    }

    /** Judges the holder named by a record from this process's point of view. */
    public HolderStatus judge(ProcessIdentity holder) {
        if (!host.equals(holder.host())) {
            return HolderStatus.FOREIGN_HOST;
        }
        if (!bootId.isEmpty() && !holder.bootId().isEmpty() && !bootId.equals(holder.bootId())) {
            return HolderStatus.DEAD; // same host, earlier boot: every process of that boot is gone
        }
        Optional<ProcessHandle> process = ProcessHandle.of(holder.pid());
        if (process.isEmpty() || !process.get().isAlive()) {
            return HolderStatus.DEAD;
        }
        Optional<Instant> started = process.get().info().startInstant();
        if (holder.processStart() == null || started.isEmpty()) {
            return HolderStatus.UNKNOWN;
        }
        Duration drift = Duration.between(started.get(), holder.processStart()).abs();
        return drift.compareTo(START_TOLERANCE) <= 0 ? HolderStatus.ALIVE : HolderStatus.DEAD; // else: pid reused
    }

    // Not InetAddress first: it may wait on DNS, and the kernel's name is what other local processes see too.
    private static String readHostName() {
        return readFirstLine(Path.of("/proc/sys/kernel/hostname"))
                .or(() -> Optional.ofNullable(System.getenv("HOSTNAME")).filter(h -> !h.isBlank()))
                .orElseGet(() -> {
                    try {
                        return InetAddress.getLocalHost().getHostName();
                    } catch (IOException e) {
                        return "localhost";
                    }
                });
    }

    private static Optional<String> readFirstLine(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(text);
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }
}
