package dev.squall.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Parses the command-line spelling of an enum, failing with the list of valid spellings. */
final class Names {
    private Names() {}

    static <E extends Enum<E>> E parse(Class<E> type, E[] values, String s, String field) {
        for (E e : values) {
            if (e.toString().equalsIgnoreCase(s.trim())) return e;
        }
        String valid = Arrays.stream(values).map(Object::toString).collect(Collectors.joining(", "));
        throw new ConfigException(field + ": unknown value '" + s + "'; use one of " + valid);
    }
}
