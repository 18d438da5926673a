package io.texttoimage.broker;

/** The three kinds of process that talk to the broker; each declares its part of the {@link Topology}. */
public enum Role {
    GATEWAY, GENERATOR, STORAGE_ADAPTER
}
