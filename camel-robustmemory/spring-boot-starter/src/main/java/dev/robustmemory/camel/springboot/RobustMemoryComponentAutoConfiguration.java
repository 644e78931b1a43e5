package dev.robustmemory.camel.springboot;

import java.util.Map;

import dev.robustmemory.camel.RobustMemoryComponent;
import dev.robustmemory.camel.RobustMemoryConfiguration;
import dev.robustmemory.camel.RobustMemoryIdempotentRepository;
import org.apache.camel.CamelContext;
import org.apache.camel.Component;
import org.apache.camel.spi.ComponentCustomizer;
import org.apache.camel.spring.boot.CamelAutoConfiguration;
import org.apache.camel.spring.boot.ComponentConfigurationProperties;
import org.apache.camel.spring.boot.util.CamelPropertiesHelper;
import org.apache.camel.spring.boot.util.ConditionalOnCamelContextAndAutoConfigurationBeans;
import org.apache.camel.spring.boot.util.ConditionalOnHierarchicalProperties;
import org.apache.camel.spring.boot.util.HierarchicalPropertiesEvaluator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Lazy;

/**
 * Auto-configuration of the robustmemory component for Spring Boot, in the manner of Camel's own component starters.
 *
 * <ul>
 * <li>The component: a {@link ComponentCustomizer} hands the {@code camel.component.robustmemory.*} properties to the
 * component through its configurer when Camel creates it (on the first robustmemory endpoint of a route), as if
 * they had been set on the component in Java. {@code camel.component.robustmemory.enabled=false} (or
 * {@code camel.component.enabled=false}) turns this off, {@code camel.component.robustmemory.customizer.enabled=false}
 * only the customizer.</li>
 * <li>The idempotent repository: with {@code camel.component.robustmemory.idempotent-repository.enabled=true}, the
 * bean {@value #IDEMPOTENT_REPOSITORY_BEAN} in the component's database, unless the application defines its own
 * {@link RobustMemoryIdempotentRepository}.</li>
 * <li>The health check needs nothing here: the component offers its checks to Camel's health-check registry, which
 * camel-spring-boot reports in the actuator's {@code camelHealth} contributor once a memory is in use.</li>
 * </ul>
 */
@AutoConfiguration(after = CamelAutoConfiguration.class)
@Conditional(ConditionalOnCamelContextAndAutoConfigurationBeans.class)
@ConditionalOnHierarchicalProperties({"camel.component", "camel.component.robustmemory"})
@EnableConfigurationProperties({ComponentConfigurationProperties.class, RobustMemoryComponentConfiguration.class,
        RobustMemoryIdempotentRepositoryConfiguration.class})
public class RobustMemoryComponentAutoConfiguration {

    /** The name of the auto-configured idempotent repository, by which routes refer to it. */
    public static final String IDEMPOTENT_REPOSITORY_BEAN = "robustMemoryIdempotentRepository";

    /** Static: property binding needs it before this configuration's own beans exist. */
    @Bean
    @ConfigurationPropertiesBinding
    static RobustMemoryComponentConverter robustMemoryComponentConverter(ApplicationContext applicationContext) {
        return new RobustMemoryComponentConverter(applicationContext);
    }

    @Lazy
    @Bean
    ComponentCustomizer configureRobustMemoryComponent(ApplicationContext applicationContext, CamelContext camelContext,
                                                      RobustMemoryComponentConfiguration configuration) {
        return new ComponentCustomizer() {
            @Override
            public void configure(String name, Component target) {
                Map<String, Object> options = CamelPropertiesHelper.getNonNullProperties(camelContext, configuration);
                // A whole configuration bean first, so that the options set one by one refine it instead of being lost.
                Object whole = options.remove("configuration");
                if (whole != null) {
                    ((RobustMemoryComponent) target).setConfiguration(
                            ((RobustMemoryConfiguration) whole).copy());
                }
                CamelPropertiesHelper.setCamelProperties(camelContext, target, options, false);
            }

            @Override
            public boolean isEnabled(String name, Component target) {
                return HierarchicalPropertiesEvaluator.evaluate(applicationContext, "camel.component.customizer",
                        "camel.component.robustmemory.customizer")
                       && target instanceof RobustMemoryComponent;
            }
        };
    }

    @Bean(IDEMPOTENT_REPOSITORY_BEAN)
    @ConditionalOnBooleanProperty("camel.component.robustmemory.idempotent-repository.enabled")
    @ConditionalOnMissingBean(RobustMemoryIdempotentRepository.class)
    RobustMemoryIdempotentRepository robustMemoryIdempotentRepository(
            RobustMemoryComponentConfiguration component, RobustMemoryIdempotentRepositoryConfiguration repository) {
        RobustMemoryIdempotentRepository idempotentRepository = new RobustMemoryIdempotentRepository();
        // Unset properties leave the repository's defaults, which are the component's.
        PropertyMapper map = PropertyMapper.get();
        map.from(repository::getName).to(idempotentRepository::setName);
        map.from(component::getBackend).to(idempotentRepository::setBackend);
        map.from(component::getDataSource).to(idempotentRepository::setDataSource);
        map.from(component::getTablePrefix).to(idempotentRepository::setTablePrefix);
        map.from(component::getDatabase).to(idempotentRepository::setDatabase);
        map.from(component::getLockFile).to(idempotentRepository::setLockFile);
        map.from(component::getLockTimeout).to(idempotentRepository::setLockTimeout);
        map.from(component::getFilePermissions).to(idempotentRepository::setFilePermissions);
        map.from(component::getAllowNetworkFileSystem).to(idempotentRepository::setAllowNetworkFileSystem);
        return idempotentRepository;
    }
}
