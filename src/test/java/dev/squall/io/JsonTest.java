package dev.squall.io;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {
    @TempDir Path dir;

    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse("""
                 {"s": "a\\"b\\\\c\\/\\n\\t\\u00e9\\ud83d\\ude00", "i": -42, "big": 12345678901234,
                  "d": 1.5e-3, "z": 0, "neg0": -0.0, "t": true, "f": false, "n": null,
                  "list": [1, [2, []], {}], "huge": 99999999999999999999}
                """);
        Map<?, ?> m = assertInstanceOf(Map.class, v);
        assertEquals("a\"b\\c/\n\té\uD83D\uDE00", m.get("s"));
        assertEquals(-42L, m.get("i"));
        assertEquals(12345678901234L, m.get("big"));
        assertEquals(1.5e-3, m.get("d"));
        assertEquals(0L, m.get("z"));
        assertEquals(-0.0, m.get("neg0"));
        assertEquals(true, m.get("t"));
        assertEquals(false, m.get("f"));
        assertTrue(m.containsKey("n"));
        assertNull(m.get("n"));
        assertEquals(List.of(1L, List.of(2L, List.of()), Map.of()), m.get("list"));
        assertEquals(1e20, m.get("huge"));
        assertEquals(List.of("s", "i", "big", "d", "z", "neg0", "t", "f", "n", "list", "huge"),
                List.copyOf(m.keySet()), "key order of the document is kept");
    }

    @Test
    void roundTripsThroughBothWriters() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "tab\there \"quoted\" \u0001 é");
        m.put("lr", 3e-4);
        m.put("steps", 1000L);
        m.put("eps", 1e-5f);
        m.put("shape", List.of(2L, 3L));
        m.put("nested", Map.of("b", List.of(), "a", Map.of()));
        m.put("none", null);
        for (String text : List.of(Json.write(m), Json.writePretty(m))) {
            Map<?, ?> back = (Map<?, ?>) Json.parse(text);
            assertEquals(m.get("name"), back.get("name"));
            assertEquals(3e-4, back.get("lr"));
            assertEquals(1000L, back.get("steps"));
            assertEquals((double) 1e-5f, (double) Float.parseFloat(back.get("eps").toString()));
            assertEquals(List.of(2L, 3L), back.get("shape"));
            assertEquals(Map.of("b", List.of(), "a", Map.of()), back.get("nested"));
            assertNull(back.get("none"));
        }
        assertTrue(Json.writePretty(m).contains("\"shape\": [2, 3]"), "shapes stay on one line");
    }

    @Test
    void writesUnorderedMapsWithSortedKeys() {
        Map<String, Object> m = new HashMap<>();
        for (String k : List.of("zeta", "alpha", "mid", "beta")) m.put(k, 1);
        assertEquals("{\"alpha\":1,\"beta\":1,\"mid\":1,\"zeta\":1}", Json.write(m));
        assertEquals("[1,2.5,\"x\",true,null]", Json.write(Arrays.asList(1, 2.5, "x", true, null)));
        assertEquals("\"\\u001f\\u007f\"", Json.write("\u001f\u007f"));
        assertEquals("{}", Json.writePretty(Map.of()).strip());
    }

    @Test
    void refusesValuesJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Float.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                         | bad JSON at line 1, column 1: expected a JSON value, found end of input (empty document)
            '{"a": 1,}'                | bad JSON at line 1, column 9: expected a string key, found '}'
            '{"a" 1}'                  | bad JSON at line 1, column 6: expected ':' after key "a", found '1'
            '{"a": 1 "b": 2}'          | bad JSON at line 1, column 9: expected ',' or '}' in object, found '"'
            '{"a": 1'                  | bad JSON at line 1, column 8: unterminated object opened at line 1, column 1
            '[1, 2'                    | bad JSON at line 1, column 6: unterminated array opened at line 1, column 1
            '[1 2]'                    | bad JSON at line 1, column 4: expected ',' or ']' in array, found '2'
            '"abc'                     | bad JSON at line 1, column 1: unterminated string
            '"a\\qb"'                  | bad JSON at line 1, column 3: invalid escape '\\q' in string
            '"\\u12g4"'                | bad JSON at line 1, column 2: bad \\u escape: expected 4 hex digits
            '01'                       | bad JSON at line 1, column 2: leading zero in number
            '-x'                       | bad JSON at line 1, column 2: expected a digit after '-', found 'x'
            '1.'                       | bad JSON at line 1, column 3: expected a digit after '.', found end of input
            '1e+'                      | bad JSON at line 1, column 4: expected a digit in exponent, found end of input
            'tru'                      | bad JSON at line 1, column 1: expected a JSON value, found 'tru'
            'NaN'                      | bad JSON at line 1, column 1: expected a JSON value, found 'NaN'
            '{"a": 1, "a": 2}'         | bad JSON at line 1, column 10: duplicate key "a"
            '{} x'                     | bad JSON at line 1, column 4: expected end of input after the JSON value, found 'x'
            """)
    void syntaxErrorsNameLineAndColumn(String text, String message) {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(text));
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void errorPositionCountsLines() {
        Json.ParseException e = assertThrows(Json.ParseException.class,
                () -> Json.parse("{\n  \"lr\": 0.1,\n  \"steps\": 10 20\n}"));
        assertEquals("bad JSON at line 3, column 15: expected ',' or '}' in object, found '20'", e.getMessage());
        assertEquals(3, e.line());
        assertEquals(15, e.column());
        e = assertThrows(Json.ParseException.class, () -> Json.parse("\"tab\there\""));
        assertEquals("bad JSON at line 1, column 5: control character U+0009 in string (escape it)", e.getMessage());
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("[".repeat(100_000)));
        assertTrue(e.getMessage().endsWith("nesting deeper than 512 levels"), e.getMessage());
    }

    @Test
    void fileErrorsNameTheFile() throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\n  \"dim\": 64,\n  \"layers\": 4,\n}\n");
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(config));
        assertEquals(config + ": bad JSON at line 4, column 1: expected a string key, found '}'", e.getMessage());

        Files.write(config, new byte[] {'"', (byte) 0xC3, '"'});
        e = assertThrows(Json.ParseException.class, () -> Json.parse(config));
        assertEquals(config + ": not valid UTF-8 text", e.getMessage());

        Files.write(config, "\uFEFF{\"ok\": [1]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(Map.of("ok", List.of(1L)), Json.parse(config));
    }
}
