package dev.robustmemory.examples.xmlroute;

import java.io.IOException;
import java.io.InputStream;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.RoutesDefinition;
import org.apache.camel.xml.in.ModelParser;

/**
 * The routes of an XML DSL file ({@code <routes xmlns="http://camel.apache.org/schema/xml-io">}) on the class path,
 * read with camel-xml-io's parser. camel-xml-io-dsl would let camel-main load such files by itself
 * ({@code camel.main.routesIncludePattern}), but it is not available here at Camel 4.22.
 */
public class XmlRoutesFile extends RouteBuilder {

    private static final String XML_IO_NAMESPACE = "http://camel.apache.org/schema/xml-io";

    private final String resource;

    /** @param resource the file's class path location, e.g. {@code routes/orders.xml} */
    public XmlRoutesFile(String resource) {
        this.resource = resource;
    }

    @Override
    public void configure() throws Exception {
        try (InputStream xml = getClass().getClassLoader().getResourceAsStream(resource)) {
            if (xml == null) {
                throw new IOException("No routes file " + resource + " on the class path");
            }
            RoutesDefinition routes = new ModelParser(xml, XML_IO_NAMESPACE).parseRoutesDefinition()
                    .orElseThrow(() -> new IOException(resource + " holds no <routes> element"));
            getRouteCollection().getRoutes().addAll(routes.getRoutes());
        }
    }
}
