package dev.robustmemory.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/** The anomalies a check found: all counted, the first {@value #KEPT} kept (a broken memory repeats itself). */
final class Findings {

    static final int KEPT = 100;

    private final List<Anomaly> kept = new ArrayList<>();
    private long found;

    /** @param involved the observing operation first; nulls (the empty memory as a cause) are left out */
    void report(Anomaly.Kind kind, String explanation, Operation... involved) {
        found++;
        if (kept.size() < KEPT) {
            kept.add(new Anomaly(kind, explanation, List.copyOf(new LinkedHashSet<>(
                    Arrays.stream(involved).filter(Objects::nonNull).toList()))));
        }
    }

    List<Anomaly> kept() {
        return kept;
    }

    long found() {
        return found;
    }
}
