package io.texttoimage.broker;

import com.rabbitmq.client.AMQP;

import java.util.Date;
import java.util.Map;
import java.util.UUID;

/**
 * The StoreImage message, generator to storage adapter: the body is the PNG itself (no JSON, no base64), and what
 * identifies it travels as AMQP headers. The generator writes them with {@link #properties}; the storage adapter
 * reads the same names and refuses a schema it does not know.
 */
public final class StoreImageHeaders {
    public static final String JOB_ID = "t2i-job-id";
    public static final String IMAGE_INDEX = "t2i-image-index";
    public static final String IMAGE_COUNT = "t2i-image-count";
    public static final String SCHEMA = "t2i-schema";
    public static final int SCHEMA_VERSION = 1;

    private static final int PERSISTENT = 2;

    private StoreImageHeaders() {
    }

    /**
     * Persistent, {@code image/png}, with the headers of image {@code index} of {@code count} of the job, and the
     * publish time as the AMQP timestamp: the storage adapter's retry window counts from it.
     */
    public static AMQP.BasicProperties properties(UUID jobId, int index, int count) {
        return new AMQP.BasicProperties.Builder()
                .contentType("image/png")
                .deliveryMode(PERSISTENT)
                .timestamp(new Date())
                .headers(Map.of(JOB_ID, jobId.toString(), IMAGE_INDEX, index, IMAGE_COUNT, count,
                        SCHEMA, SCHEMA_VERSION))
                .build();
    }
}
