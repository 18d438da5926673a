package io.texttoimage.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.texttoimage.localstack.client.GatewayClient;
import io.texttoimage.localstack.client.SseEvent;
import io.texttoimage.localstack.service.ServiceKind;
import io.texttoimage.localstack.service.ServiceProcess;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Streams survive the death of the gateway they are on: ten clients follow ten long jobs on gateway A, A is
 * SIGKILLed mid-run and started again (a new process with a new live-event queue, as after a crash loop or a
 * rolling restart), and every client reconnects to it with {@code Last-Event-ID}. Every stream must end with the
 * job's real terminal event, and no event may come twice. (Before the streams re-read the stored state, 8 of 10
 * such clients heard only heartbeats forever: the restarted replica had missed the ends of the jobs.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayRestartE2eTest {
    private static final int JOBS = 10;
    private static final Duration STREAM_BOUND = Duration.ofMinutes(5);
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");
    private static final Set<String> LIFECYCLE = Set.of("queued", "running", "progress", "succeeded", "failed", "cancelled");

    private E2eStack e2e;
    private ServiceProcess gatewayA;
    private GatewayClient gatewayB;

    @BeforeAll
    void startTheSystem() throws Exception {
        e2e = E2eStack.startInfrastructure();
        List<ServiceProcess> started = e2e.startTwoGeneratorsAndTwoGateways();
        gatewayA = started.get(3);
        gatewayB = e2e.client(started.get(4));
    }

    @AfterAll
    void stopTheSystem() throws Exception {
        if (e2e != null) {
            e2e.close();
        }
    }

    @Test
    void tenStreamsOnAKilledGatewayEndWithTheirJobsRealTerminalEvents() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            // Submitted through the gateway that stays up: the kill is about streams, not submissions.
            ids.add(gatewayB.submit(Map.of("prompt", "followed through a restart " + i, "num_steps", 60,
                    "width", 192, "height", 192, "scheduler", "euler")).get("id").asText());
        }
        CompletableFuture<URI> restarted = new CompletableFuture<>();
        CountDownLatch streaming = new CountDownLatch(JOBS);
        List<FollowedStream> streams = new ArrayList<>();
        for (String id : ids) {
            FollowedStream stream = new FollowedStream(id, gatewayA.baseUri(), restarted, streaming, e2e::client);
            streams.add(stream);
            stream.thread.start();
        }
        assertTrue(streaming.await(2, TimeUnit.MINUTES), "not every stream received its first event from gateway A");

        gatewayA.kill(); // SIGKILL: no shutdown hook, its streams are cut mid-job
        assertFalse(gatewayA.isAlive());
        ServiceProcess again = e2e.stack.startService(ServiceKind.GATEWAY, "gateway-a-restarted");
        e2e.stack.awaitReady(List.of(again));
        long readyAgain = System.nanoTime();
        restarted.complete(again.baseUri());

        for (FollowedStream stream : streams) {
            stream.thread.join(STREAM_BOUND.toMillis());
            assertFalse(stream.thread.isAlive(), "the stream of " + stream.id + " did not end within " + STREAM_BOUND
                    + "; events: " + stream.names);
        }
        int reconnected = 0;
        for (FollowedStream stream : streams) {
            assertEquals(null, stream.failure, "stream of " + stream.id + " failed");
            JsonNode record = gatewayB.get(stream.id);
            String terminal = stream.names.get(stream.names.size() - 1);
            assertTrue(TERMINAL.contains(terminal), stream.id + " ended with " + terminal + ": " + stream.names);
            assertEquals(record.path("status").asText(), terminal, "the stream's end is the job's real state: " + record);
            assertEquals("succeeded", terminal, "nothing in this run should fail or be cancelled: " + record);
            for (int i = 1; i < stream.sequences.size(); i++) {
                assertTrue(stream.sequences.get(i) > stream.sequences.get(i - 1),
                        stream.id + ": an event came twice or out of order across the reconnect: " + stream.sequences);
            }
            reconnected += stream.connections > 1 ? 1 : 0;
        }
        assertTrue(reconnected > 0, "no stream was cut by the kill: the jobs were too short to test anything");
        long lastEnd = streams.stream().mapToLong(stream -> stream.endedAtNanos).max().orElseThrow();
        System.out.printf("[e2e] %d of %d streams were cut by the kill and resumed on the restarted gateway; the last"
                + " one ended %.1f s after it was ready%n", reconnected, JOBS, (lastEnd - readyAgain) / 1e9);
    }

    /** One client: follows its job on gateway A, and after A dies, on the restarted A with Last-Event-ID. */
    private static final class FollowedStream {
        final String id;
        final Thread thread;
        final List<String> names = new ArrayList<>();
        final List<Long> sequences = new ArrayList<>();
        volatile Throwable failure;
        volatile long endedAtNanos;
        int connections;
        private String lastEventId;

        FollowedStream(String id, URI first, CompletableFuture<URI> restarted, CountDownLatch streaming,
                       java.util.function.Function<URI, GatewayClient> clients) {
            this.id = id;
            this.thread = Thread.ofPlatform().daemon().name("follow-" + id).unstarted(() -> {
                try {
                    follow(clients.apply(first), streaming);
                    while (!ended()) {
                        follow(clients.apply(restarted.get(STREAM_BOUND.toMillis(), TimeUnit.MILLISECONDS)), null);
                    }
                    endedAtNanos = System.nanoTime();
                } catch (Throwable e) {
                    failure = e;
                }
            });
        }

        private void follow(GatewayClient gateway, CountDownLatch streaming) throws InterruptedException {
            connections++;
            try {
                gateway.follow(id, lastEventId, event -> {
                    record(event);
                    if (streaming != null && names.size() == 1) {
                        streaming.countDown();
                    }
                    return !TERMINAL.contains(event.event());
                });
            } catch (IOException cut) {
                // the gateway died under the stream (or is not listening yet): reconnect
                Thread.sleep(200);
            }
        }

        private void record(SseEvent event) {
            // Heartbeats and the queue, preview and worker-lost notices carry no id of their own (an SSE parser reports
            // the last id seen for them) and are not part of the job's history.
            if (!LIFECYCLE.contains(event.event())) {
                return;
            }
            names.add(event.event());
            sequences.add(Long.parseLong(event.id()));
            lastEventId = event.id();
        }

        private boolean ended() {
            return !names.isEmpty() && TERMINAL.contains(names.get(names.size() - 1));
        }
    }
}
