package io.texttoimage.broker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares declarations as data: one name must have one specification (type, durability, exclusivity, arguments),
 * whoever declares it. Server-named queues have no name to disagree on.
 */
final class TopologyAgreement {
    private TopologyAgreement() {
    }

    /** One line per name declared in more than one way; empty when everybody agrees. */
    static List<String> disagreements(Collection<Declaration> declarations) {
        Map<String, Set<Object>> specsByName = new LinkedHashMap<>();
        for (Declaration declaration : declarations) {
            declaration.exchanges().forEach(exchange -> add(specsByName, "exchange " + exchange.name(), exchange));
            declaration.queues().stream().filter(queue -> !queue.serverNamed())
                    .forEach(queue -> add(specsByName, "queue " + queue.name(), queue));
        }
        List<String> disagreements = new ArrayList<>();
        specsByName.forEach((name, specs) -> {
            if (specs.size() > 1) {
                disagreements.add(name + " is declared as " + specs);
            }
        });
        return disagreements;
    }

    private static void add(Map<String, Set<Object>> specsByName, String name, Object spec) {
        specsByName.computeIfAbsent(name, ignored -> new LinkedHashSet<>()).add(spec);
    }
}
