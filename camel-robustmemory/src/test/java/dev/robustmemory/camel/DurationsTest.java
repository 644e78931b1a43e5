package dev.robustmemory.camel;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
            "0, 0", "5000, 5000", "10s, 10000", "500ms, 500", "1m30s, 90000", "1m, 60000", "1h, 3600000",
            "2d, 172800000", "1h1m1s1ms, 3661001", "PT10S, 10000", "PT0.25S, 250", "' 10s ', 10000" })
    void acceptsMillisCamelUnitsAndIso(String text, long expectedMillis) {
        assertEquals(Duration.ofMillis(expectedMillis), Durations.parse("option lockTimeout", text));
    }

    /** Each of these is silently 0 (or stays negative) with Camel's own converter. */
    @ParameterizedTest
    @ValueSource(strings = { "abc", "10x", "10S", "-1s", "-5", "PT-1S", "1s1m", "s", "ms", "", " ", "1.5s",
                             "99999999999999999999", "9999999999999999d" })
    void refusesWhatCamelWouldTurnIntoZeroOrNegative(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Durations.parse("option lockTimeout", text));
        assertTrue(e.getMessage().contains("option lockTimeout"), e.getMessage());
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void negativeValuesAreCalledNegative() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Durations.parse("x", "-1s")).getMessage()
                .contains("negative"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Durations.fromHeader("x", -1L)).getMessage()
                .contains("negative"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Durations.fromHeader("x", Duration.ofMillis(-1))).getMessage().contains("negative"));
    }

    @Test
    void headerTakesDurationMillisOrText() {
        assertEquals(Duration.ofSeconds(2), Durations.fromHeader("h", Duration.ofSeconds(2)));
        assertEquals(Duration.ofMillis(250), Durations.fromHeader("h", 250));
        assertEquals(Duration.ofMillis(250), Durations.fromHeader("h", 250L));
        assertEquals(Duration.ofSeconds(3), Durations.fromHeader("h", "3s"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.fromHeader("h", 2.5));
        assertTrue(e.getMessage().contains("java.lang.Double"), e.getMessage());
    }
}
