package dev.squall.program;

import java.util.ArrayList;
import java.util.List;

/** An ordered list of kernel tasks that a backend runs as one unit (one TaskGraph on TornadoVM). */
public final class Stage {
    public final String name;
    public final List<Task> tasks = new ArrayList<>();

    public Stage(String name) { this.name = name; }

    public Stage add(Task t) {
        tasks.add(t);
        return this;
    }

    @Override public String toString() { return name + " (" + tasks.size() + " tasks)"; }
}
