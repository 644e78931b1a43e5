package dev.robustmemory.benchmark;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.jar.JarFile;

/** What the numbers were measured on: printed above the table, because ratios between machines mean little. */
final class MachineInfo {

    private MachineInfo() {
    }

    static List<String> describe() {
        return List.of(
                "Machine: " + Runtime.getRuntime().availableProcessors() + " cores, " + cpuModel() + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"),
                "Java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vm.vendor") + "), flags "
                + ManagementFactory.getRuntimeMXBean().getInputArguments(),
                "Drivers: " + driver("DuckDB JDBC", "jdbc:duckdb:", "SELECT library_version FROM pragma_version()")
                + "; " + driver("sqlite-jdbc", "jdbc:sqlite::memory:", "SELECT sqlite_version()"),
                "Clock: latencies between processes compare System.nanoTime() of two JVMs; HotSpot on Linux reads it"
                + " from CLOCK_MONOTONIC, one clock for all processes of a boot (assumed here)");
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst().orElse("CPU model unknown");
        } catch (Exception e) {
            return "CPU model unknown (" + e.getMessage() + ")";
        }
    }

    /**
     * The version of the jar a driver class came from: DuckDB's JDBC metadata says only "1.0", its OSGi manifest
     * says which release is on the class path.
     */
    private static String artifactVersion(Class<?> driverClass, Connection connection) throws SQLException {
        try (JarFile jar = new JarFile(Path.of(driverClass.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toFile())) {
            String version = jar.getManifest().getMainAttributes().getValue("Bundle-Version");
            if (version != null) {
                return version;
            }
        } catch (Exception e) {
            // not a jar with a manifest (e.g. classes in a directory): fall back to what JDBC says
        }
        return connection.getMetaData().getDriverVersion();
    }

    /** The JDBC driver's version and the engine version it reports, from an in-memory database. */
    private static String driver(String name, String inMemoryUrl, String engineVersionQuery) {
        try (Connection connection = DriverManager.getConnection(inMemoryUrl);
             Statement statement = connection.createStatement();
             ResultSet engine = statement.executeQuery(engineVersionQuery)) {
            engine.next();
            return name + " " + artifactVersion(DriverManager.getDriver(inMemoryUrl).getClass(), connection)
                   + " (engine " + engine.getString(1) + ")";
        } catch (SQLException e) {
            return name + " unavailable (" + e.getMessage() + ")";
        }
    }
}
