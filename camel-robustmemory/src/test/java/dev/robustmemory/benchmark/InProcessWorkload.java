package dev.robustmemory.benchmark;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A key/value mix run by {@code threads} threads of this JVM, each with its own client of one backend session. */
record InProcessWorkload(String name, String description, Backend backend, Mix mix, int threads)
        implements Workload {

    @Override
    public Trial prepare(Path directory) throws Exception {
        BackendSession session = backend.open(directory);
        List<KeyValueClient> clients = new ArrayList<>();
        try {
            mix.preload(session);
            List<LoadDriver.ThreadOperation> operations = new ArrayList<>();
            for (int thread = 0; thread < threads; thread++) {
                KeyValueClient client = session.newClient();
                clients.add(client);
                operations.add(mix.operation(client, "t" + thread));
            }
            return new Trial() {
                @Override
                public Measurement measure(Duration window) throws Exception {
                    return LoadDriver.run(operations, window);
                }

                @Override
                public void close() throws Exception {
                    closeAll(clients, session);
                }
            };
        } catch (Exception e) {
            try {
                closeAll(clients, session);
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private static void closeAll(List<KeyValueClient> clients, BackendSession session) throws Exception {
        try (session) {
            for (KeyValueClient client : clients) {
                client.close();
            }
        }
    }
}
