package dev.robustmemory.history;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The checker's answer: valid when no anomaly was found; otherwise the anomalies (the first ones kept), of which the
 * smallest, the one with the fewest operations and then the earliest, is the one to read first.
 *
 * @param anomalies         the anomalies kept, in the order found
 * @param anomaliesFound    how many were found in all (a broken memory repeats itself)
 * @param unknownTookEffect unknown operations the checker had to count as done to explain what others saw
 */
public record Verdict(List<Anomaly> anomalies, long anomaliesFound, long ok, long failed, long unknown,
                      long unknownTookEffect, long originNanos) {

    public Verdict {
        anomalies = List.copyOf(anomalies);
    }

    public boolean valid() {
        return anomaliesFound == 0;
    }

    public Optional<Anomaly> smallest() {
        return anomalies.stream().min(Comparator.<Anomaly>comparingInt(a -> a.operations().size())
                .thenComparingLong(a -> a.operations().isEmpty() ? 0 : a.operations().get(0).invokedNanos()));
    }

    /** The anomaly kinds found among those kept, with how many of each. */
    public Map<Anomaly.Kind, Long> kinds() {
        Map<Anomaly.Kind, Long> kinds = new TreeMap<>();
        anomalies.forEach(anomaly -> kinds.merge(anomaly.kind(), 1L, Long::sum));
        return kinds;
    }

    public String summary() {
        return String.format("%d operations: %d ok, %d failed, %d unknown (%d counted as done); %d %s",
                ok + failed + unknown, ok, failed, unknown, unknownTookEffect, anomaliesFound,
                anomaliesFound == 1 ? "anomaly" : "anomalies");
    }

    /** The summary, the smallest anomaly, and the first few others. */
    public String report() {
        StringBuilder text = new StringBuilder(summary());
        if (valid()) {
            return text.toString();
        }
        Map<String, Long> titles = new TreeMap<>();
        kinds().forEach((kind, count) -> titles.put(kind.title(), count));
        Anomaly smallest = smallest().orElseThrow();
        text.append(" ").append(titles).append("\nsmallest: ").append(smallest.describe(originNanos));
        anomalies.stream().filter(anomaly -> anomaly != smallest).limit(5)
                .forEach(anomaly -> text.append("\nalso: ").append(anomaly.describe(originNanos)));
        return text.toString();
    }
}
