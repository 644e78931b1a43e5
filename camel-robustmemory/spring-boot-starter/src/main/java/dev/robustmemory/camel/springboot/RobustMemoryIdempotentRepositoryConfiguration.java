package dev.robustmemory.camel.springboot;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The auto-configured idempotent repository, {@code camel.component.robustmemory.idempotent-repository.*}. It is kept
 * in the component's memory: its backend, data source, table prefix, database, lock file, lock timeout, file
 * permissions and network file system choice are the {@code camel.component.robustmemory.*} ones, so the routes and
 * the repository share one memory.
 */
@ConfigurationProperties(prefix = "camel.component.robustmemory.idempotent-repository")
public class RobustMemoryIdempotentRepositoryConfiguration {

    /**
     * Whether to define the bean robustMemoryIdempotentRepository, a RobustMemoryIdempotentRepository for
     * idempotent consumers. Off unless asked for; an application bean of that type takes its place.
     */
    private boolean enabled;

    /**
     * The repository's name: its ids are the keys idempotent/name/id, so repositories of other names share the
     * database without seeing these ids.
     */
    private String name = "default";

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }
}
