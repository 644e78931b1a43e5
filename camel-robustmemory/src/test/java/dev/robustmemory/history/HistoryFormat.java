package dev.robustmemory.history;

/**
 * The log line of each event, written by {@link HistoryRecorder} and read by {@link History}. Space-separated, so that
 * a log reads as it is and a few of its lines can be pasted into a checker test:
 *
 * <pre>
 * &lt;nanos&gt; &lt;process&gt; &lt;thread&gt; &lt;id&gt; invoke &lt;type&gt; &lt;key|-&gt; &lt;argument|-&gt; [&lt;lock timeout ms&gt; &lt;sync|async&gt;]
 * &lt;nanos&gt; &lt;process&gt; &lt;thread&gt; &lt;id&gt; ok &lt;revision&gt; &lt;result&gt;
 * &lt;nanos&gt; &lt;process&gt; &lt;thread&gt; &lt;id&gt; fail &lt;exception class&gt; &lt;message, to the end of the line&gt;
 * &lt;nanos&gt; &lt;process&gt; killed
 * </pre>
 *
 * The argument is the unique value of a store, {@code value@expectedVersion} for a compare-and-set, the delta of an
 * increment. Results are written by {@link Result#encode()}.
 */
final class HistoryFormat {

    static final String INVOKE = "invoke";
    static final String OK = "ok";
    static final String FAIL = "fail";
    static final String KILLED = "killed";
    private static final String NONE = "-";

    private HistoryFormat() {
    }

    /** One event of a log. */
    sealed interface Event {
        long nanos();

        String process();
    }

    record Invoked(long nanos, Invocation call) implements Event {
        @Override
        public String process() {
            return call.process();
        }
    }

    record Completed(long nanos, String process, long id, long revision, String result) implements Event {
    }

    record Failed(long nanos, String process, long id, String error) implements Event {
    }

    record Killed(long nanos, String process) implements Event {
    }

    static String invoke(long nanos, Invocation call) {
        String argument = switch (call.type()) {
            case STORE -> token(call.value());
            case CAS -> token(call.value()) + "@" + call.expectedVersion();
            case INCREMENT -> Long.toString(call.delta());
            default -> NONE;
        };
        String how = call.lockTimeoutMillis() < 0 ? "" : " " + call.lockTimeoutMillis() + " " + token(call.api());
        return prefix(nanos, call) + INVOKE + " " + call.type().word() + " "
               + (call.key() == null ? NONE : token(call.key())) + " " + argument + how + "\n";
    }

    static String ok(long nanos, Invocation call, long revision, Result result) {
        return prefix(nanos, call) + OK + " " + revision + " " + result.encode() + "\n";
    }

    static String fail(long nanos, Invocation call, Throwable failure) {
        String message = String.valueOf(failure.getMessage()).replaceAll("\\s+", " ");
        return prefix(nanos, call) + FAIL + " " + failure.getClass().getName() + " " + message + "\n";
    }

    static String killed(long nanos, String process) {
        return nanos + " " + token(process) + " " + KILLED + "\n";
    }

    /** Parses one line (without its line end). */
    static Event parse(String line) {
        String[] word = line.trim().split(" +");
        try {
            long nanos = Long.parseLong(word[0]);
            if (word.length == 3 && word[2].equals(KILLED)) {
                return new Killed(nanos, word[1]);
            }
            String process = word[1];
            String thread = word[2];
            long id = Long.parseLong(word[3]);
            return switch (word[4]) {
                case INVOKE -> new Invoked(nanos, invocation(process, thread, id, word));
                case OK -> {
                    require(word.length == 7, line);
                    yield new Completed(nanos, process, id, Long.parseLong(word[5]), word[6]);
                }
                case FAIL -> new Failed(nanos, process, id, line.trim().split(" +", 6)[5]);
                default -> throw new IllegalArgumentException("Unknown event '" + word[4] + "'");
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Not a history line: '" + line + "' (" + e.getMessage() + ")", e);
        }
    }

    private static Invocation invocation(String process, String thread, long id, String[] word) {
        require(word.length == 8 || word.length == 10, String.join(" ", word));
        OpType type = OpType.ofWord(word[5]);
        String key = word[6].equals(NONE) ? null : word[6];
        Invocation call = Invocation.of(process, thread, id, type, key);
        String argument = word[7];
        call = switch (type) {
            case STORE -> call.writing(argument);
            case CAS -> {
                int at = argument.lastIndexOf('@');
                yield call.writing(argument.substring(0, at)).expecting(Long.parseLong(argument.substring(at + 1)));
            }
            case INCREMENT -> call.adding(Long.parseLong(argument));
            default -> call;
        };
        return word.length == 10 ? call.via(word[9], Long.parseLong(word[8])) : call;
    }

    private static String prefix(long nanos, Invocation call) {
        return nanos + " " + token(call.process()) + " " + token(call.thread()) + " " + call.id() + " ";
    }

    /** Keys, values and labels become single tokens: anything that would split or confuse a line is refused. */
    private static String token(String text) {
        if (text == null || text.isEmpty() || text.equals(NONE) || !text.chars().allMatch(c -> c > ' ' && c != '@'
                && c != ',' && c != '[' && c != ']' && c < 127)) {
            throw new IllegalArgumentException("Cannot be written as one history token: '" + text + "'");
        }
        return text;
    }

    private static void require(boolean condition, String line) {
        if (!condition) {
            throw new IllegalArgumentException("wrong number of fields in '" + line + "'");
        }
    }
}
