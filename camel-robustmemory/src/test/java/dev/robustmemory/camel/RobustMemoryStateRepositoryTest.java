package dev.robustmemory.camel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

import dev.robustmemory.duckdb.DuckDbMemory;
import dev.robustmemory.duckdb.StoreSettings;
import dev.robustmemory.memory.Memory;
import dev.robustmemory.memory.StoredValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every method of the state repository on a real database file, in one JVM. Part of the contract suite:
 * {@link RobustMemoryStateRepositoryPostgresTest} runs it on PostgreSQL tables through {@link #configureRepository}
 * and {@link #openMemory}.
 */
class RobustMemoryStateRepositoryTest {

    @TempDir
    Path dir;

    private Path database() {
        return dir.resolve("state.duckdb");
    }

    /** Where the repositories of a test are: the DuckDB file here; all the repositories of one test share it. */
    void configureRepository(RepositoryBeanSupport repository) {
        repository.setDatabase(database().toString());
    }

    /** The memory the repositories are in, opened as another process would. */
    Memory openMemory() throws Exception {
        return DuckDbMemory.open(StoreSettings.of(database()));
    }

    private RobustMemoryStateRepository repository(String name) {
        RobustMemoryStateRepository repository = new RobustMemoryStateRepository();
        repository.setName(name);
        configureRepository(repository);
        return repository;
    }

    private RobustMemoryStateRepository started(String name) {
        RobustMemoryStateRepository repository = repository(name);
        repository.start();
        return repository;
    }

    @Test
    void aStateIsSetReadReplacedAndRemoved() {
        RobustMemoryStateRepository repository = started("offsets");
        assertNull(repository.getState("topic-0"));

        repository.setState("topic-0", "41");
        assertEquals("41", repository.getState("topic-0"));
        repository.setState("topic-0", "42");
        assertEquals("42", repository.getState("topic-0"));

        repository.setState("topic-0", null);
        assertNull(repository.getState("topic-0"), "a null state removes it");
        assertFalse(repository.remove("topic-0"));
        repository.stop();
    }

    @Test
    void putIfAbsentSetsOnlyAMissingState() {
        RobustMemoryStateRepository repository = started("offsets");

        assertNull(repository.putIfAbsent("topic-0", "1"));
        assertEquals("1", repository.putIfAbsent("topic-0", "2"), "the state it already had");
        assertEquals("1", repository.getState("topic-0"));
        assertTrue(repository.remove("topic-0"));
        assertNull(repository.putIfAbsent("topic-0", "3"));
        assertThrows(IllegalArgumentException.class, () -> repository.putIfAbsent("topic-1", null));
        repository.stop();
    }

    @Test
    void keysAreOnlyItsOwnAndRepositoriesOfOneNameShareStatesAcrossRestarts() throws Exception {
        RobustMemoryStateRepository offsets = started("offsets");
        RobustMemoryStateRepository positions = started("positions");
        offsets.setState("b", "2");
        offsets.setState("a", "1");
        positions.setState("a", "other");
        try (Memory store = openMemory()) {
            store.execute(Duration.ofSeconds(5), session ->
                    session.store("state/offsets-archive", StoredValue.text("not a state"), OptionalLong.empty()));
        }

        assertEquals(List.of("a", "b"), offsets.keys());
        assertEquals(List.of("a"), positions.keys());
        offsets.stop();
        RobustMemoryStateRepository again = started("offsets");
        assertEquals("1", again.getState("a"));
        assertEquals("other", positions.getState("a"));
        again.stop();
        positions.stop();
    }

    @Test
    void refusesBadSettingsNullKeysAndUseBeforeStart() {
        RobustMemoryStateRepository slashed = repository("a/b");
        assertTrue(assertThrows(IllegalArgumentException.class, slashed::start).getMessage().contains("'a/b'"));
        RobustMemoryStateRepository malformed = repository("x");
        malformed.setLockTimeout("-5");
        assertTrue(assertThrows(IllegalArgumentException.class, malformed::start).getMessage().contains("lockTimeout"));

        RobustMemoryStateRepository notStarted = repository("x");
        assertThrows(IllegalStateException.class, () -> notStarted.getState("a"));

        RobustMemoryStateRepository repository = started("offsets");
        assertThrows(IllegalArgumentException.class, () -> repository.getState(null));
        repository.stop();
    }
}
