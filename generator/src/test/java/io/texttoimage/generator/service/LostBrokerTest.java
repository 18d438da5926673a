package io.texttoimage.generator.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.ShutdownSignalException;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.junit.jupiter.api.Test;

/**
 * A job whose progress could not be published because the broker went away is handed back, not failed: what the
 * RabbitMQ client throws then (AlreadyClosedException, unchecked, possibly wrapped) is told apart from a model error.
 */
class LostBrokerTest {

    @Test
    void aClosedConnectionIsBrokerTroubleWrappedOrNot() {
        ShutdownSignalException closed = new ShutdownSignalException(true, false, null, null);
        assertTrue(JobWorker.lostTheBroker(new AlreadyClosedException(closed)));
        assertTrue(JobWorker.lostTheBroker(new IllegalStateException("progress", new AlreadyClosedException(closed))));
        assertTrue(JobWorker.lostTheBroker(new IOException("lost", closed)));
    }

    @Test
    void aModelErrorIsNot() {
        assertFalse(JobWorker.lostTheBroker(new IllegalStateException("ORT: invalid dimensions")));
        assertFalse(JobWorker.lostTheBroker(new UncheckedIOException(new IOException("disk full"))));
    }
}
