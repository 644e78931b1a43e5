package dev.robustmemory.benchmark;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** A Markdown table with aligned columns (readable in a terminal, pasteable into the README), and number formats. */
final class Table {

    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    Table(String... headers) {
        this.columns = headers.length;
        rows.add(headers);
    }

    void add(String... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("Expected " + columns + " cells, got " + Arrays.toString(cells));
        }
        rows.add(cells);
    }

    String render() {
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            appendRow(out, rows.get(r), widths);
            if (r == 0) {
                String[] rule = new String[columns];
                for (int i = 0; i < columns; i++) {
                    rule[i] = "-".repeat(widths[i]);
                }
                appendRow(out, rule, widths);
            }
        }
        return out.toString();
    }

    private static void appendRow(StringBuilder out, String[] cells, int[] widths) {
        out.append('|');
        for (int i = 0; i < cells.length; i++) {
            out.append(' ').append(cells[i]).append(" ".repeat(widths[i] - cells[i].length())).append(" |");
        }
        out.append('\n');
    }

    /** Three significant figures or so, without an exponent; two for small values (ratios far below 1). */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        double magnitude = Math.abs(value);
        if (magnitude != 0 && magnitude < 0.1) {
            return new BigDecimal(value).round(new MathContext(2)).toPlainString();
        }
        String pattern = magnitude >= 100 ? "%.0f" : magnitude >= 10 ? "%.1f" : "%.2f";
        return String.format(Locale.ROOT, pattern, value);
    }

    /** A latency in the unit that suits it. */
    static String latency(double nanos) {
        if (Double.isNaN(nanos)) {
            return "n/a";
        }
        if (nanos < 1_000) {
            return number(nanos) + " ns";
        }
        return nanos < 1_000_000 ? number(nanos / 1e3) + " µs" : number(nanos / 1e6) + " ms";
    }
}
