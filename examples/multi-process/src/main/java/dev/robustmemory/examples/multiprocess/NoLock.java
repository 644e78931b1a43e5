package dev.robustmemory.examples.multiprocess;

import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.spi.Policy;

/** The critical-section demo's first run: the same route with a policy that locks nothing, to show what is lost. */
public class NoLock implements Policy {

    @Override
    public void beforeWrap(Route route, NamedNode definition) {
        // nothing to prepare
    }

    @Override
    public Processor wrap(Route route, Processor processor) {
        return processor;
    }
}
