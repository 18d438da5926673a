package io.texttoimage.generator.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.texttoimage.contracts.Topology;

/** Every exchange and queue name is {@code <prefix>.<suffix>}, so stacks and test runs can share one broker. */
@ConfigMapping(prefix = "t2i.messaging")
public interface MessagingConfig {

    @WithDefault(Topology.DEFAULT_PREFIX)
    String prefix();

    default String name(String suffix) {
        return Topology.name(prefix(), suffix);
    }
}
