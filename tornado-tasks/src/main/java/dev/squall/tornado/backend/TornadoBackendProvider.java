package dev.squall.tornado.backend;

import dev.squall.program.Backend;
import dev.squall.program.BackendProvider;
import java.util.ArrayList;
import java.util.List;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/** {@code --backend tornado}: every device of every TornadoVM backend, numbered in the runtime's order. */
public final class TornadoBackendProvider implements BackendProvider {
    @Override public String name() { return "tornado"; }

    @Override public List<String> devices() {
        List<String> out = new ArrayList<>();
        for (TornadoDevice d : all()) {
            out.add(d.getPhysicalDevice().getDeviceName() + " [" + d.getPlatformName().trim() + ", "
                    + d.getTornadoVMBackend() + "]");
        }
        return out;
    }

    @Override public Backend create(int device) {
        List<TornadoDevice> all = all();
        if (device < 0 || device >= all.size()) {
            throw new IllegalArgumentException("--device: TornadoVM has " + all.size() + " device(s), got " + device);
        }
        return new dev.squall.tornado.backend.TornadoBackend(all.get(device));
    }

    private static List<TornadoDevice> all() {
        TornadoRuntime runtime;
        try {
            runtime = TornadoRuntimeProvider.getTornadoRuntime();
        } catch (Throwable e) {
            throw new IllegalStateException("TornadoVM runtime unavailable (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); launch through ./squall after ./setup-tornado.sh");
        }
        List<TornadoDevice> out = new ArrayList<>();
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            TornadoBackend backend = runtime.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) out.add(backend.getDevice(d));
        }
        return out;
    }
}
