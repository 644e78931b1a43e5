package dev.robustmemory.examples.xmlroute;

import org.apache.camel.main.Main;

/**
 * Runs the XML DSL routes of {@code routes/orders.xml} with camel-main; {@code application.properties} names the
 * database and stops the application once the sample orders are done.
 */
public final class XmlRouteApplication {

    public static final String ROUTES = "routes/orders.xml";

    private XmlRouteApplication() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main();
        main.configure().addRoutesBuilder(new XmlRoutesFile(ROUTES));
        main.run(args);
    }
}
