package dev.robustmemory.camel.springboot;

import java.nio.file.Path;
import java.util.Collection;

import dev.robustmemory.camel.RobustMemoryComponent;
import dev.robustmemory.camel.RobustMemoryConfiguration;
import dev.robustmemory.camel.RobustMemoryIdempotentRepository;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.spi.ComponentCustomizer;
import org.apache.camel.spring.boot.CamelAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter in a real Spring Boot application context with a real Camel context, database and lock file: the
 * properties reach the component, a malformed option fails the start, the idempotent repository exists only when
 * asked for, and the memory's health check is in Camel's registry (where camel-spring-boot's actuator integration
 * reads it).
 */
class RobustMemoryComponentAutoConfigurationTest {

    private static final String P = "camel.component.robustmemory.";

    @TempDir
    Path directory;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CamelAutoConfiguration.class,
                    RobustMemoryComponentAutoConfiguration.class));

    @Test
    void propertiesConfigureTheComponentAndItsEndpoints() {
        Path database = directory.resolve("app.duckdb");
        runner.withUserConfiguration(MemoryRoutes.class)
                .withPropertyValues(P + "database=" + database, P + "lock-timeout=250ms",
                        P + "stale-lock-threshold=5m", P + "max-value-size=1024", P + "file-permissions=rw-rw----")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    CamelContext camel = context.getBean(CamelContext.class);
                    RobustMemoryConfiguration options =
                            camel.getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration();
                    assertThat(options.getDatabase()).isEqualTo(database.toString());
                    assertThat(options.getLockTimeout()).isEqualTo("250ms");
                    assertThat(options.getStaleLockThreshold()).isEqualTo("5m");
                    assertThat(options.getMaxValueSize()).isEqualTo(1024);
                    assertThat(options.getFilePermissions()).isEqualTo("rw-rw----");

                    ProducerTemplate template = camel.createProducerTemplate();
                    template.sendBody("direct:remember", "hello");
                    assertThat(template.requestBody("direct:recall", null, String.class)).isEqualTo("hello");
                    assertThat(database).exists();
                });
    }

    @Test
    void aMalformedDurationFailsTheStartNamingTheOption() {
        runner.withUserConfiguration(MemoryRoutes.class)
                .withPropertyValues(P + "database=" + directory.resolve("app.duckdb"), P + "lock-timeout=10x")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("Invalid duration for option lockTimeout: '10x' is not a duration");
                });
    }

    @Test
    void aZeroStaleThresholdFailsTheStart() {
        runner.withUserConfiguration(MemoryRoutes.class)
                .withPropertyValues(P + "database=" + directory.resolve("app.duckdb"), P + "stale-lock-threshold=0")
                .run(context -> assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("option staleLockThreshold: '0' must be positive"));
    }

    @Test
    void anObjectOptionTakesABeanReference() {
        runner.withUserConfiguration(MemoryRoutes.class, TwoMeterRegistries.class)
                .withPropertyValues(P + "database=" + directory.resolve("app.duckdb"), P + "meter-registry=#lockMeters")
                .run(context -> {
                    RobustMemoryComponent component =
                            context.getBean(CamelContext.class).getComponent("robustmemory", RobustMemoryComponent.class);
                    assertThat(component.getMeterRegistry()).isSameAs(context.getBean("lockMeters"));
                });
    }

    @Test
    void aConfigurationBeanIsRefinedByTheOptionsSetOneByOne() {
        Path database = directory.resolve("defaults.duckdb");
        runner.withUserConfiguration(MemoryRoutes.class)
                .withBean("memoryDefaults", RobustMemoryConfiguration.class, () -> {
                    RobustMemoryConfiguration defaults = new RobustMemoryConfiguration();
                    defaults.setDatabase(database.toString());
                    defaults.setLockTimeout("7s");
                    return defaults;
                })
                .withPropertyValues(P + "configuration=#memoryDefaults", P + "lock-timeout=250ms")
                .run(context -> {
                    RobustMemoryConfiguration options = context.getBean(CamelContext.class)
                            .getComponent("robustmemory", RobustMemoryComponent.class).getConfiguration();
                    assertThat(options.getDatabase()).isEqualTo(database.toString());
                    assertThat(options.getLockTimeout()).isEqualTo("250ms");
                    assertThat(options).isNotSameAs(context.getBean("memoryDefaults"));
                });
    }

    @Test
    void anObjectOptionRefusesTextThatIsNoReference() {
        runner.withPropertyValues(P + "meter-registry=lockMeters")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("'lockMeters' is not a bean reference"));
    }

    @Test
    void theIdempotentRepositoryExistsOnlyWhenAskedFor() {
        runner.run(context -> assertThat(context).doesNotHaveBean(RobustMemoryIdempotentRepository.class));
    }

    @Test
    void theIdempotentRepositoryUsesTheComponentsMemory() {
        Path database = directory.resolve("app.duckdb");
        runner.withPropertyValues(P + "database=" + database, P + "lock-timeout=2s",
                        P + "idempotent-repository.enabled=true", P + "idempotent-repository.name=orders")
                .run(context -> {
                    RobustMemoryIdempotentRepository repository = context.getBean(
                            RobustMemoryComponentAutoConfiguration.IDEMPOTENT_REPOSITORY_BEAN,
                            RobustMemoryIdempotentRepository.class);
                    assertThat(repository.getDatabase()).isEqualTo(database.toString());
                    assertThat(repository.getLockTimeout()).isEqualTo("2s");
                    assertThat(repository.getName()).isEqualTo("orders");
                    repository.start();
                    try {
                        assertThat(repository.add("order-1")).isTrue();
                        assertThat(repository.add("order-1")).isFalse();
                    } finally {
                        repository.stop();
                    }
                    assertThat(database).exists();
                });
    }

    @Test
    void theIdempotentRepositoryKeepsItsDefaultsWhereTheComponentHasNoProperty() {
        runner.withPropertyValues(P + "idempotent-repository.enabled=true")
                .run(context -> {
                    RobustMemoryIdempotentRepository repository = context.getBean(RobustMemoryIdempotentRepository.class);
                    assertThat(repository.getDatabase()).isEqualTo("robustmemory.duckdb");
                    assertThat(repository.getLockTimeout()).isEqualTo("5s");
                    assertThat(repository.getName()).isEqualTo("default");
                    assertThat(repository.isAllowNetworkFileSystem()).isFalse();
                });
    }

    @Test
    void theIdempotentRepositoryBacksOffForTheApplicationsOwn() {
        runner.withUserConfiguration(OwnIdempotentRepository.class)
                .withPropertyValues(P + "idempotent-repository.enabled=true")
                .run(context -> {
                    assertThat(context).hasSingleBean(RobustMemoryIdempotentRepository.class);
                    assertThat(context).hasBean("myOrderIds");
                    assertThat(context).doesNotHaveBean(RobustMemoryComponentAutoConfiguration.IDEMPOTENT_REPOSITORY_BEAN);
                });
    }

    @Test
    void withoutTheCustomizerTheComponentKeepsItsOwnDefaults() {
        runner.withPropertyValues(P + "customizer.enabled=false", P + "database=" + directory.resolve("app.duckdb"))
                .run(context -> {
                    RobustMemoryComponent component =
                            context.getBean(CamelContext.class).getComponent("robustmemory", RobustMemoryComponent.class);
                    assertThat(component.getConfiguration().getDatabase()).isEqualTo("robustmemory.duckdb");
                });
    }

    @Test
    void disabledMeansNoCustomizerAndNoRepository() {
        runner.withPropertyValues(P + "enabled=false", P + "idempotent-repository.enabled=true")
                .run(context -> {
                    assertThat(context).doesNotHaveBean(ComponentCustomizer.class);
                    assertThat(context).doesNotHaveBean(RobustMemoryIdempotentRepository.class);
                });
    }

    @Test
    void theMemorysHealthCheckIsInCamelsRegistry() {
        Path database = directory.resolve("app.duckdb");
        runner.withUserConfiguration(MemoryRoutes.class)
                .withPropertyValues(P + "database=" + database)
                .run(context -> {
                    CamelContext camel = context.getBean(CamelContext.class);
                    // Camel's producer checks are off unless asked for (camel.health.producers-enabled=true)
                    HealthCheckHelper.getHealthCheckRepository(camel, "producers").setEnabled(true);
                    Collection<HealthCheck.Result> results = HealthCheckHelper.invoke(camel);
                    assertThat(results)
                            .filteredOn(result -> result.getCheck().getId().equals("producer:robustmemory-" + database))
                            .singleElement()
                            .satisfies(result -> {
                                assertThat(result.getState()).isEqualTo(HealthCheck.State.UP);
                                assertThat(result.getDetails()).containsEntry("database", database.toString());
                            });
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class MemoryRoutes {
        @Bean
        RouteBuilder memoryRoutes() {
            return new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:remember").to("robustmemory:greeting");
                    from("direct:recall").to("robustmemory:greeting?operation=load");
                }
            };
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoMeterRegistries {
        @Bean
        SimpleMeterRegistry lockMeters() {
            return new SimpleMeterRegistry();
        }

        @Bean
        SimpleMeterRegistry otherMeters() {
            return new SimpleMeterRegistry();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnIdempotentRepository {
        @Bean
        RobustMemoryIdempotentRepository myOrderIds() {
            return new RobustMemoryIdempotentRepository("unused.duckdb", "mine");
        }
    }
}
