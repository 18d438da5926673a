package io.texttoimage.contracts;

/**
 * RabbitMQ names shared by every service. Each name is {@code <prefix>.<suffix>}; the prefix
 * ({@code t2i.messaging.prefix}, default {@code t2i}) lets several independent stacks, or test
 * runs, share one broker without stealing each other's messages.
 *
 * <pre>
 * gateway --GenerationRequested--> [generation-requests exchange] --> generation-requests queue (durable, shared; prefetch 1 per generator)
 * generator --StoreImage (PNG body)--> [image-store exchange] --> image-store queue (durable, shared by storage adapters)
 * storage-adapter --ImageStored--> [image-stored exchange, fanout] --> one auto-delete queue per generator
 * generator --JobEvent--> [job-events exchange, topic "job.&lt;type&gt;"] --> job-events.persist (durable, shared by gateways: DB writer)
 *                                                               \-> one auto-delete queue per gateway replica (SSE fan-out)
 * gateway --CancelRequested--> [control exchange, fanout] --> one auto-delete queue per generator
 * </pre>
 */
public final class Topology {
    public static final String DEFAULT_PREFIX = "t2i";

    public static final String GENERATION_REQUESTS = "generation-requests";
    public static final String IMAGE_STORE = "image-store";
    public static final String IMAGE_STORED = "image-stored";
    public static final String JOB_EVENTS = "job-events";
    public static final String JOB_EVENTS_PERSIST_QUEUE = "job-events.persist";
    public static final String CONTROL = "control";

    /** AMQP header names of a StoreImage message, whose body is the PNG itself. */
    public static final String HEADER_JOB_ID = "t2i-job-id";
    public static final String HEADER_IMAGE_INDEX = "t2i-image-index";
    public static final String HEADER_IMAGE_COUNT = "t2i-image-count";
    public static final String HEADER_SCHEMA = "t2i-schema";

    private Topology() {
    }

    public static String name(String prefix, String suffix) {
        return prefix + "." + suffix;
    }

    /** Object key of one image: the same for a redelivered job, so a retry overwrites instead of duplicating. */
    public static String imageKey(java.util.UUID jobId, int index) {
        return "images/" + jobId + "/" + index + ".png";
    }
}
