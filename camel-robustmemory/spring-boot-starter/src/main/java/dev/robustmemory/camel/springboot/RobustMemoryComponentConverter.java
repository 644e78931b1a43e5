package dev.robustmemory.camel.springboot;

import java.util.Set;

import dev.robustmemory.camel.RobustMemoryConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.context.ApplicationContext;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.core.convert.converter.GenericConverter;

/**
 * Turns the bean references of the object-valued properties ({@code meter-registry=#myRegistry},
 * {@code configuration=#bean:defaults}) into those beans, as Camel's own starters do. Text that is not a reference
 * fails the binding, and so the start, rather than leaving the option unset.
 */
@ConfigurationPropertiesBinding
class RobustMemoryComponentConverter implements GenericConverter {

    private static final String BEAN_PREFIX = "#bean:";

    private final ApplicationContext applicationContext;

    RobustMemoryComponentConverter(ApplicationContext applicationContext) {
        this.applicationContext = applicationContext;
    }

    @Override
    public Set<ConvertiblePair> getConvertibleTypes() {
        return Set.of(new ConvertiblePair(String.class, MeterRegistry.class),
                new ConvertiblePair(String.class, RobustMemoryConfiguration.class));
    }

    @Override
    public Object convert(Object source, TypeDescriptor sourceType, TypeDescriptor targetType) {
        if (source == null) {
            return null;
        }
        String reference = source.toString();
        if (!reference.startsWith("#")) {
            throw new IllegalArgumentException("'" + reference + "' is not a bean reference: a "
                                               + targetType.getType().getSimpleName() + " option takes #name or #bean:name");
        }
        String name = reference.startsWith(BEAN_PREFIX) ? reference.substring(BEAN_PREFIX.length()) : reference.substring(1);
        return applicationContext.getBean(name, targetType.getType());
    }
}
