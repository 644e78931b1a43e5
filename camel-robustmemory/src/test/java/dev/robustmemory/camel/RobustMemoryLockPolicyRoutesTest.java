package dev.robustmemory.camel;

import java.io.InputStream;

import dev.robustmemory.duckdb.lock.LockFileSettings;
import dev.robustmemory.duckdb.lock.NamedLocks;
import org.apache.camel.Exchange;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.model.BeanFactoryDefinition;
import org.apache.camel.model.BeanModelHelper;
import org.apache.camel.model.app.BeansDefinition;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.xml.in.ModelParser;
import org.junit.jupiter.api.Test;

import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_NAME;
import static dev.robustmemory.camel.RobustMemoryConstants.LOCK_TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The lock policy declared as a bean of a YAML or an XML route file and used by reference ({@code policy: {ref:
 * orderLock}}, {@code <policy ref="orderLock">}); the Java DSL's {@code .policy("orderLock")} is in
 * {@link RobustMemoryLockPolicyTest}.
 */
class RobustMemoryLockPolicyRoutesTest extends RobustMemoryTestSupport {

    @Test
    void aYamlRouteUsesThePolicyBeanByReference() throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(
                ResourceHelper.resolveMandatoryResource(context, "classpath:routes/lock-policy-routes.yaml"));
        assertCountsInsideTheBlock("direct:yaml-locked", getMockEndpoint("mock:yaml-locked"));
    }

    /** As camel-xml-io-dsl (not served at 4.22) loads a file of beans and routes. */
    @Test
    void anXmlRouteUsesThePolicyBeanByReference() throws Exception {
        try (InputStream xml = getClass().getResourceAsStream("/routes/lock-policy-routes.xml")) {
            BeansDefinition file = new ModelParser(xml, "http://camel.apache.org/schema/xml-io")
                    .parseBeansDefinition().orElseThrow();
            for (BeanFactoryDefinition<?> bean : file.getBeans()) {
                context.getRegistry().bind(bean.getName(), BeanModelHelper.newInstance(bean, context));
            }
            context.addRouteDefinitions(file.getRoutes());
        }
        assertCountsInsideTheBlock("direct:xml-locked", getMockEndpoint("mock:xml-locked"));
    }

    private void assertCountsInsideTheBlock(String uri, MockEndpoint inside) throws Exception {
        inside.expectedBodiesReceived(1L, 2L);
        inside.expectedHeaderReceived(LOCK_NAME, "order-7");
        template.sendBodyAndHeader(uri, null, "orderId", "order-7");
        Exchange second = template.request(uri, exchange -> exchange.getIn().setHeader("orderId", "order-7"));
        inside.assertIsSatisfied();

        try (NamedLocks locks = NamedLocks.open(NamedLocks.fileFor(database()), LockFileSettings.defaults())) {
            assertEquals(locks.newestToken("order-7"),
                    inside.getReceivedExchanges().get(1).getMessage().getHeader(LOCK_TOKEN, Long.class));
            assertEquals(0, locks.statistics().heldNow(), "released after each block");
        }
        assertEquals(null, second.getMessage().getHeader(LOCK_NAME), "restored after the block");
    }
}
