package io.texttoimage.generator.service;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import io.texttoimage.broker.BrokerConnection;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * One confirm-mode channel for everything the worker publishes (events and images). Publishing does not wait;
 * {@link #awaitConfirms} waits for every message published so far, and is called before a job is acknowledged.
 */
@ApplicationScoped
public class ConfirmedPublisher {

    private final BrokerConnection broker;
    private Channel channel;

    public ConfirmedPublisher(BrokerConnection broker) {
        this.broker = broker;
    }

    public synchronized void publish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body)
            throws IOException {
        channel().basicPublish(exchange, routingKey, props, body);
    }

    /** Throws when the broker refused a message or did not confirm in time. */
    public synchronized void awaitConfirms(Duration timeout) throws IOException {
        try {
            // Not waitForConfirmsOrDie: that closes the channel, and the next job would have to reopen it.
            if (!channel().waitForConfirms(timeout.toMillis())) {
                throw new IOException("the broker refused (nacked) a published message");
            }
        } catch (TimeoutException e) {
            throw new IOException("the broker did not confirm published messages within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for publisher confirms", e);
        }
    }

    /** Reopened when the broker closed it (e.g. after publishing to a missing exchange). */
    private Channel channel() throws IOException {
        if (channel == null || !channel.isOpen()) {
            channel = broker.get().createChannel();
            channel.confirmSelect();
        }
        return channel;
    }
}
