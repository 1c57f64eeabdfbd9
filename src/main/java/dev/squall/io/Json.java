package dev.squall.io;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.TreeMap;

/**
 * A small JSON (RFC 8259) reader and writer for safetensors headers and configuration files.
 *
 * <p>Values map to Java as: object {@code Map<String, Object>} (a {@link LinkedHashMap} keeping
 * the file's key order), array {@code List<Object>}, string {@code String}, number {@code Long}
 * when written without fraction or exponent and in range, else {@code Double}, {@code Boolean}, and
 * {@code null}. Duplicate keys are an error rather than "last one wins", because in a hand-edited
 * config a duplicate is almost always a mistake.
 *
 * <p>Writing keeps the order of ordered maps ({@link SequencedMap}: {@code LinkedHashMap},
 * {@code TreeMap}) and sorts the keys of any other map, so the same value always gives the same
 * bytes. NaN and infinities have no JSON form and are rejected.
 */
public final class Json {
    private Json() {}

    /** Deeper nesting than this is certainly not a config or header, and would exhaust the stack. */
    private static final int MAX_DEPTH = 512;

    /** A syntax error, with its 1-based line and column; the message is one line. */
    public static final class ParseException extends IllegalArgumentException {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        private final int line, column;

        ParseException(String message, int line, int column) {
            super(message);
            this.line = line;
            this.column = column;
        }

        public int line() { return line; }

        public int column() { return column; }
    }

    /** Parses one JSON value; anything but whitespace after it is an error. */
    public static Object parse(String text) {
        return parse(text, "bad JSON at ");
    }

    /**
     * Parses one JSON value; a syntax error message is {@code errorPrefix + "line L, column C: problem"},
     * so callers can say where the text came from (e.g. {@code "model.safetensors: bad JSON header at "}).
     */
    public static Object parse(String text, String errorPrefix) {
        return new Parser(text, errorPrefix).parseDocument();
    }

    /**
     * Parses a JSON file; syntax errors read {@code path:line:column: problem}, and text that is
     * not UTF-8 is reported as such rather than decoded into replacement characters.
     */
    public static Object parse(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ParseException(file + ": not valid UTF-8 text", 0, 0);
        }
        return new Parser(text, file + ": bad JSON at ").parseDocument();
    }

    /** Compact JSON: no whitespace. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, -1).value(value, 0);
        return sb.toString();
    }

    /** Indented JSON (two spaces, one member per line) for files people read. */
    public static String writePretty(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, 2).value(value, 0);
        return sb.append('\n').toString();
    }

    private static final class Parser {
        private final String s;
        private final String where;
        private int pos;
        private int depth;

        Parser(String text, String where) {
            this.s = text;
            this.where = where;
        }

        Object parseDocument() {
            if (!s.isEmpty() && s.charAt(0) == '\uFEFF') pos = 1; // tolerate a UTF-8 byte order mark
            skipWhitespace();
            if (pos >= s.length()) throw error("expected a JSON value, found end of input (empty document)");
            Object v = value();
            skipWhitespace();
            if (pos < s.length()) throw error("expected end of input after the JSON value, found " + found());
            return v;
        }

        private Object value() {
            if (pos >= s.length()) throw error("expected a JSON value, found end of input");
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw error("expected a JSON value, found " + found());
                }
            };
        }

        private Map<String, Object> object() {
            enter();
            int start = pos;
            pos++; // '{'
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                depth--;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    throw error(pos >= s.length() ? "unterminated object opened at " + lineColumn(start)
                            : "expected a string key, found " + found());
                }
                int keyPos = pos;
                String key = string();
                skipWhitespace();
                if (peek() != ':') throw error("expected ':' after key \"" + key + "\", found " + found());
                pos++;
                skipWhitespace();
                Object v = value();
                if (map.containsKey(key)) {
                    pos = keyPos;
                    throw error("duplicate key \"" + key + "\"");
                }
                map.put(key, v);
                skipWhitespace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    depth--;
                    return map;
                } else {
                    throw error(pos >= s.length() ? "unterminated object opened at " + lineColumn(start)
                            : "expected ',' or '}' in object, found " + found());
                }
            }
        }

        private List<Object> array() {
            enter();
            int start = pos;
            pos++; // '['
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                depth--;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(value());
                skipWhitespace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == ']') {
                    pos++;
                    depth--;
                    return list;
                } else {
                    throw error(pos >= s.length() ? "unterminated array opened at " + lineColumn(start)
                            : "expected ',' or ']' in array, found " + found());
                }
            }
        }

        private void enter() {
            if (++depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }

        private String string() {
            int start = pos;
            pos++; // opening quote
            StringBuilder sb = null;
            int runStart = pos;
            while (true) {
                if (pos >= s.length()) {
                    pos = start;
                    throw error("unterminated string");
                }
                char c = s.charAt(pos);
                if (c == '"') {
                    String run = s.substring(runStart, pos++);
                    return sb == null ? run : sb.append(run).toString();
                }
                if (c < 0x20) throw error("control character U+%04X in string (escape it)".formatted((int) c));
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (sb == null) sb = new StringBuilder();
                sb.append(s, runStart, pos);
                if (pos + 1 >= s.length()) {
                    pos = start;
                    throw error("unterminated string");
                }
                char e = s.charAt(pos + 1);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 6 > s.length()) throw error("incomplete \\u escape");
                        int code = 0;
                        for (int i = pos + 2; i < pos + 6; i++) {
                            int d = Character.digit(s.charAt(i), 16);
                            if (d < 0) throw error("bad \\u escape: expected 4 hex digits");
                            code = code * 16 + d;
                        }
                        sb.append((char) code);
                        pos += 4;
                    }
                    default -> throw error("invalid escape '\\" + printable(e) + "' in string");
                }
                pos += 2;
                runStart = pos;
            }
        }

        private Object number() {
            int start = pos;
            if (peek() == '-') pos++;
            if (peek() == '0') {
                pos++;
                if (isDigit(peek())) throw error("leading zero in number");
            } else if (isDigit(peek())) {
                while (isDigit(peek())) pos++;
            } else {
                throw error("expected a digit after '-', found " + found());
            }
            boolean integral = true;
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) throw error("expected a digit after '.', found " + found());
                while (isDigit(peek())) pos++;
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') pos++;
                if (!isDigit(peek())) throw error("expected a digit in exponent, found " + found());
                while (isDigit(peek())) pos++;
            }
            String text = s.substring(start, pos);
            if (integral) {
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException tooBig) {
                    // falls through to Double, like most JSON readers
                }
            }
            return Double.parseDouble(text);
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, pos)) throw error("expected a JSON value, found " + found());
            pos += word.length();
            return value;
        }

        private void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                pos++;
            }
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        /** What is at the error position, quoted, or "end of input". */
        private String found() {
            if (pos >= s.length()) return "end of input";
            int cp = s.codePointAt(pos);
            if (Character.isLetterOrDigit(cp) || cp == '-') {
                int end = pos;
                while (end < s.length() && end - pos < 20 && (Character.isLetterOrDigit(s.charAt(end))
                        || s.charAt(end) == '.' || s.charAt(end) == '-' || s.charAt(end) == '_')) end++;
                return "'" + s.substring(pos, end) + "'";
            }
            return "'" + printable(cp) + "'";
        }

        private static String printable(int cp) {
            return cp < 0x20 || cp == 0x7f ? "U+%04X".formatted(cp) : Character.toString(cp);
        }

        private String lineColumn(int at) {
            int line = 1, col = 1;
            for (int i = 0; i < at && i < s.length(); i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            return "line " + line + ", column " + col;
        }

        private ParseException error(String problem) {
            int line = 1, col = 1;
            for (int i = 0; i < pos && i < s.length(); i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            return new ParseException(where + "line " + line + ", column " + col + ": " + problem, line, col);
        }
    }

    private static final class Writer {
        private final StringBuilder out;
        private final int indent;

        Writer(StringBuilder out, int indent) {
            this.out = out;
            this.indent = indent;
        }

        void value(Object v, int level) {
            switch (v) {
                case null -> out.append("null");
                case String str -> string(str);
                case Boolean b -> out.append(b);
                case Long l -> out.append(l);
                case Integer i -> out.append(i);
                case Short sh -> out.append(sh);
                case Byte by -> out.append(by);
                case Float f -> {
                    requireFinite(f);
                    out.append(Float.toString(f)); // shortest text that reads back to the same float
                }
                case Double d -> {
                    requireFinite(d);
                    out.append(Double.toString(d));
                }
                case Map<?, ?> map -> object(map, level);
                case Collection<?> c -> array(c, level);
                case Object[] a -> array(List.of(a), level);
                case int[] a -> array(java.util.Arrays.stream(a).boxed().toList(), level);
                case long[] a -> array(java.util.Arrays.stream(a).boxed().toList(), level);
                case double[] a -> array(java.util.Arrays.stream(a).boxed().toList(), level);
                default -> throw new IllegalArgumentException(
                        "cannot write a " + v.getClass().getName() + " as JSON");
            }
        }

        private static void requireFinite(double d) {
            if (!Double.isFinite(d)) throw new IllegalArgumentException("JSON has no representation for " + d);
        }

        private void object(Map<?, ?> map, int level) {
            Iterable<? extends Map.Entry<?, ?>> entries;
            if (map instanceof SequencedMap<?, ?>) {
                entries = map.entrySet();
            } else {
                Map<String, Object> sorted = new TreeMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) sorted.put(key(e.getKey()), e.getValue());
                entries = sorted.entrySet();
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) out.append(',');
                first = false;
                newline(level + 1);
                string(key(e.getKey()));
                out.append(indent >= 0 ? ": " : ":");
                value(e.getValue(), level + 1);
            }
            if (!first) newline(level);
            out.append('}');
        }

        private static String key(Object k) {
            if (k instanceof String s) return s;
            throw new IllegalArgumentException("JSON object keys must be strings, got " + k);
        }

        /** Pretty output keeps arrays of plain values such as shapes on one line: {@code [2, 3]}. */
        private void array(Collection<?> items, int level) {
            boolean flat = indent < 0 || items.stream().noneMatch(
                    x -> x instanceof Map || x instanceof Collection || x instanceof Object[]
                            || x instanceof int[] || x instanceof long[] || x instanceof double[]);
            out.append('[');
            boolean first = true;
            for (Object item : items) {
                if (!first) out.append(indent >= 0 && flat ? ", " : ",");
                first = false;
                if (!flat) newline(level + 1);
                value(item, level + 1);
            }
            if (!first && !flat) newline(level);
            out.append(']');
        }

        private void newline(int level) {
            if (indent < 0) return;
            out.append('\n');
            out.repeat(' ', indent * level);
        }

        private void string(String str) {
            out.append('"');
            for (int i = 0; i < str.length(); i++) {
                char c = str.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20 || c == 0x7f) out.append("\\u%04x".formatted((int) c));
                        else out.append(c);
                    }
                }
            }
            out.append('"');
        }
    }
}
