package dev.squall.model;

/** An invalid configuration: the message is one line naming the field and the fix. */
public final class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) { super(message); }
}
