package dev.squall.cli;

import dev.squall.jvm.JvmBackend;
import dev.squall.model.ConfigException;
import dev.squall.program.Backend;
import dev.squall.program.BackendProvider;

/** Picks a backend by name: the JVM one built in, others through {@link BackendProvider}. */
final class Backends {
    private Backends() {}

    static Backend create(String name, int device) {
        if (name.equals("jvm")) {
            if (device != 0) throw new ConfigException("--device: the jvm backend has one device (0), got " + device);
            return new JvmBackend();
        }
        BackendProvider p = provider(name);
        int n = p.devices().size();
        if (device < 0 || device >= n) {
            throw new ConfigException("--device: " + name + " has " + n + " device(s) (0.." + (n - 1) + "), got "
                    + device + "; squall info lists them");
        }
        return p.create(device);
    }

    static BackendProvider provider(String name) {
        for (BackendProvider p : BackendProvider.installed()) if (p.name().equals(name)) return p;
        if (name.equals("tornado")) {
            throw new ConfigException("--backend tornado: the TornadoVM backend is not on the class path; run "
                    + "./setup-tornado.sh once, then launch through ./squall (it adds the SDK and tornado-tasks)");
        }
        throw new ConfigException("--backend: unknown backend '" + name + "'; use jvm or tornado");
    }
}
