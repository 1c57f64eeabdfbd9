package dev.squall.model;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a configuration object's public fields to snake_case keys and back, so a JSON file, the
 * checkpoint metadata and {@code squall info} all speak the same names. Unknown keys are errors
 * (a typo must not be silently ignored).
 */
public final class ConfigFields {
    private ConfigFields() {}

    public static String key(String camel) {
        return camel.replaceAll("([A-Z])", "_$1").toLowerCase();
    }

    static List<Field> fields(Class<?> type) {
        List<Field> out = new ArrayList<>();
        for (Field f : type.getFields()) {
            if (!Modifier.isStatic(f.getModifiers())) out.add(f);
        }
        return out;
    }

    /** Field values keyed by snake_case name, in declaration order; enums as their CLI spelling. */
    public static Map<String, Object> toMap(Object config) {
        Map<String, Object> m = new LinkedHashMap<>();
        try {
            for (Field f : fields(config.getClass())) {
                Object v = f.get(config);
                m.put(key(f.getName()), v instanceof Enum<?> ? v.toString() : v);
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    /** Sets fields from {@code values}; numbers may come as Long or Double, enums as strings. */
    public static void apply(Object config, Map<String, ?> values, String source) {
        Map<String, Field> byKey = new LinkedHashMap<>();
        for (Field f : fields(config.getClass())) byKey.put(key(f.getName()), f);
        for (Map.Entry<String, ?> e : values.entrySet()) {
            Field f = byKey.get(e.getKey());
            if (f == null) {
                throw new ConfigException(source + ": unknown key '" + e.getKey() + "'; valid keys: "
                        + String.join(", ", byKey.keySet()));
            }
            set(config, f, e.getKey(), e.getValue(), source);
        }
    }

    /** Sets one field from its command-line flag's text ({@code --key}). */
    public static void set(Object config, String key, String text) {
        set(config, key, text, "--" + key.replace('_', '-'));
    }

    /** Sets one field from its text form; {@code source} names where the value came from in errors ("--set", a file). */
    public static void set(Object config, String key, String text, String source) {
        for (Field f : fields(config.getClass())) {
            if (key(f.getName()).equals(key)) {
                set(config, f, key, text, source);
                return;
            }
        }
        throw new ConfigException(source + ": unknown setting '" + key + "'");
    }

    /** Whether {@code config} has a field for {@code key}. */
    public static boolean has(Object config, String key) {
        for (Field f : fields(config.getClass())) if (key(f.getName()).equals(key)) return true;
        return false;
    }

    /**
     * Every floating-point field must hold a finite number: Infinity and NaN pass comparisons such
     * as {@code lr > 0} yet make a run meaningless, so they are refused for every key at once.
     */
    public static void requireFinite(Object config) {
        try {
            for (Field f : fields(config.getClass())) {
                Class<?> t = f.getType();
                if (t != double.class && t != Double.class && t != float.class && t != Float.class) continue;
                Object v = f.get(config);
                if (v != null && !Double.isFinite(((Number) v).doubleValue())) {
                    throw new ConfigException(key(f.getName()) + ": must be a finite number, got " + v);
                }
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    static void set(Object config, Field f, String key, Object v, String source) {
        Class<?> t = f.getType();
        try {
            Object value;
            if (v == null) {
                if (t.isPrimitive()) throw new ConfigException(source + ": " + key + " may not be null");
                value = null;
            } else if (t == int.class || t == Integer.class) {
                value = Math.toIntExact(asLong(v, key, source));
            } else if (t == long.class || t == Long.class) {
                value = asLong(v, key, source);
            } else if (t == float.class || t == Float.class) {
                value = (float) asDouble(v, key, source);
            } else if (t == double.class || t == Double.class) {
                value = asDouble(v, key, source);
            } else if (t == boolean.class || t == Boolean.class) {
                value = asBoolean(v, key, source);
            } else if (t == String.class) {
                value = v.toString();
            } else if (t.isEnum()) {
                value = t.getMethod("parse", String.class).invoke(null, v.toString());
            } else {
                throw new IllegalStateException("unsupported config field type " + t);
            }
            f.set(config, value);
        } catch (ArithmeticException e) {
            throw new ConfigException(source + ": " + key + " = " + v + " is out of range");
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof ConfigException ce) throw new ConfigException(source + ": " + ce.getMessage());
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long asLong(Object v, String key, String source) {
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(source + ": " + key + " must be a whole number, got '" + v + "'");
        }
    }

    private static double asDouble(Object v, String key, String source) {
        double d;
        if (v instanceof Number n) {
            d = n.doubleValue();
        } else {
            try {
                d = Double.parseDouble(v.toString().trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(source + ": " + key + " must be a number, got '" + v + "'");
            }
        }
        if (!Double.isFinite(d)) throw new ConfigException(source + ": " + key + " must be a finite number, got '" + v + "'");
        return d;
    }

    private static boolean asBoolean(Object v, String key, String source) {
        if (v instanceof Boolean b) return b;
        String s = v.toString().trim().toLowerCase();
        if (s.equals("true")) return true;
        if (s.equals("false")) return false;
        throw new ConfigException(source + ": " + key + " must be true or false, got '" + v + "'");
    }

    public static void copy(Object from, Object to) {
        try {
            for (Field f : fields(from.getClass())) f.set(to, f.get(from));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
