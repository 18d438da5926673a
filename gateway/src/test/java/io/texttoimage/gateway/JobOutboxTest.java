package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.mutiny.Uni;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.gateway.job.JobStore;
import io.texttoimage.gateway.job.PublishConfirmations;
import io.texttoimage.gateway.messaging.JobOutboxRelay;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox, against real PostgreSQL and RabbitMQ: a job is stored before it is published, its confirm is recorded,
 * and a stored job whose publish was never confirmed (a gateway that died between the INSERT and the confirm) is
 * republished by the relay, once, whichever replica sweeps first, or failed with a reason when it is too old.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class JobOutboxTest extends WithFakeGenerator {
    @Inject
    Pool pool;
    @Inject
    JobStore store;
    @Inject
    JobOutboxRelay relay;
    @Inject
    PublishConfirmations confirmations;
    @Inject
    io.micrometer.core.instrument.MeterRegistry registry;

    @Test
    void aSubmittedJobIsRecordedAsPublishedOnceTheBrokerConfirmedIt() throws Exception {
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"confirmed\"}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        generator.takeRequest(UUID.fromString(id), Duration.ofSeconds(10));
        // recorded right after the confirm, without holding up the 201 (PublishConfirmations)
        Eventually.await(Duration.ofSeconds(10), "published_at after a 201", () -> publishedAt(UUID.fromString(id)) != null);
    }

    @Test
    void aStoredJobWhoseGatewayDiedBeforeTheConfirmIsRepublishedByTheRelay() throws Exception {
        UUID orphan = insertUnpublished("orphaned by a crash", Duration.ofMinutes(1));

        relay.sweep().await().atMost(Duration.ofSeconds(20)); // or the relay's own timer, whichever comes first

        GenerationRequested request = generator.takeRequest(orphan, Duration.ofSeconds(20));
        assertEquals("orphaned by a crash", request.prompt());
        assertEquals(7, request.numSteps());
        assertEquals(99L, request.seed());
        Eventually.await(Duration.ofSeconds(10), "marked published", () -> publishedAt(orphan) != null);
        // Nothing is left to do for it.
        JobStore.Unpublished again = store.republishUnconfirmed(Duration.ofSeconds(30), Duration.ofMinutes(10), 100,
                jobs -> Uni.createFrom().item(List.<UUID>of())).await().atMost(Duration.ofSeconds(10));
        assertTrue(again.found().stream().noneMatch(job -> job.id.equals(orphan)), "found again: " + again);
        given().get("/generated-images/" + orphan).then().statusCode(200).body("status", equalTo("queued"));
    }

    @Test
    void aJobStillInItsOwnSubmissionIsLeftToIt() {
        UUID young = insertUnpublished("submission still waiting for its confirm", Duration.ZERO);
        try {
            JobStore.Unpublished found = store.republishUnconfirmed(Duration.ofSeconds(10), Duration.ofMinutes(10), 100,
                    jobs -> Uni.createFrom().item(List.<UUID>of())).await().atMost(Duration.ofSeconds(10));
            assertTrue(found.found().stream().noneMatch(job -> job.id.equals(young)), "found: " + found);
            assertNull(publishedAt(young));
        } finally {
            pool.preparedQuery("DELETE FROM generated_images WHERE id = $1").execute(Tuple.of(young))
                    .await().atMost(Duration.ofSeconds(5));
        }
    }

    @Test
    void twoReplicasSweepingAtOnceRepublishAJobOnce() throws Exception {
        // Younger than the relay's own minimum age (10 s), so its timer stays out of this race.
        UUID orphan = insertUnpublished("two replicas, one publish", Duration.ZERO);
        CountDownLatch firstHoldsTheRow = new CountDownLatch(1);
        CompletableFuture<Void> releaseFirst = new CompletableFuture<>();
        // Replica 1 locks the row and is slow to publish; replica 2 sweeps meanwhile.
        CompletableFuture<JobStore.Unpublished> first = store.republishUnconfirmed(Duration.ZERO, Duration.ofMinutes(10),
                100,
                jobs -> {
                    firstHoldsTheRow.countDown();
                    return Uni.createFrom().completionStage(releaseFirst)
                            .replaceWith(jobs.stream().map(job -> job.id).toList());
                }).subscribeAsCompletionStage();
        assertTrue(firstHoldsTheRow.await(10, TimeUnit.SECONDS), "replica 1 took the row");

        JobStore.Unpublished second = store.republishUnconfirmed(Duration.ZERO, Duration.ofMinutes(10), 100,
                jobs -> Uni.createFrom().item(jobs.stream().map(job -> job.id).toList()))
                .await().atMost(Duration.ofSeconds(10));

        assertFalse(second.found().stream().anyMatch(job -> job.id.equals(orphan)),
                "replica 2 must skip the row replica 1 holds");
        releaseFirst.complete(null);
        assertTrue(first.get(10, TimeUnit.SECONDS).published().contains(orphan));
        assertNotNull(publishedAt(orphan));
    }

    @Test
    void aJobNeverConfirmedWithinTheLimitIsFailedWithAReason() throws Exception {
        UUID stale = insertUnpublished("unconfirmed for too long", Duration.ofHours(1));

        relay.sweep().await().atMost(Duration.ofSeconds(20)); // or the relay's own timer

        // Only failing is left for it: the relay republishes only jobs younger than the limit.
        Eventually.await(Duration.ofSeconds(30), "failed by the relay", () -> "failed".equals(
                given().get("/generated-images/" + stale).then().extract().path("status")));
        given().get("/generated-images/" + stale).then().statusCode(200)
                .body("status", equalTo("failed"))
                .body("error", containsString("could not be queued"))
                .body("error", containsString("did not confirm it within 600 s"));
    }

    @Test
    void aPromptPostgreSqlCannotStoreIsRefusedBeforeAnythingIsPublished() throws Exception {
        given().contentType(ContentType.JSON).body("{\"prompt\":\"a \\u0000 nul\"}").post("/generated-images")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("prompt"))
                .body("errors[0].message", containsString("U+0000"));
        String marker = given().contentType(ContentType.JSON).body("{\"prompt\":\"after the nul\"}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        List<GenerationRequested> seen = generator.takeRequestsUntil(UUID.fromString(marker), Duration.ofSeconds(10));
        assertTrue(seen.stream().noneMatch(request -> request.prompt().contains("\u0000")), "published: " + seen);
    }

    @Test
    void confirmsThatArriveWhileOneIsWrittenAreRecordedTogether() throws Exception {
        List<UUID> jobs = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            jobs.add(insertUnpublished("confirmed in a burst " + i, Duration.ZERO));
        }
        io.micrometer.core.instrument.DistributionSummary writes = registry
                .summary("t2i.gateway.db.mark-published.jobs");
        long writesBefore = writes.count();
        double jobsBefore = writes.totalAmount();

        jobs.forEach(confirmations::record); // microseconds apart, while the first write is on its way

        Eventually.await(Duration.ofSeconds(10), "all 50 recorded as published",
                () -> jobs.stream().allMatch(id -> publishedAt(id) != null));
        assertEquals(50, writes.totalAmount() - jobsBefore, 0.0, "jobs recorded");
        assertTrue(writes.count() - writesBefore < 50,
                "50 confirms took " + (writes.count() - writesBefore) + " UPDATEs: not batched");
    }

    /** A queued row as a gateway leaves it when it dies after the INSERT: no published_at. */
    private UUID insertUnpublished(String prompt, Duration age) {
        UUID id = UUID.randomUUID();
        pool.preparedQuery("""
                        INSERT INTO generated_images (id, status, prompt, num_steps, guidance_scale, seed, num_images,
                            total_steps, created_at, updated_at)
                        VALUES ($1, 'QUEUED', $2, 7, 7.5, 99, 1, 7, now() - make_interval(secs => $3), now())""")
                .execute(Tuple.of(id, prompt, (double) age.toSeconds())).await().atMost(Duration.ofSeconds(5));
        return id;
    }

    private Object publishedAt(UUID id) {
        Row row = pool.preparedQuery("SELECT published_at FROM generated_images WHERE id = $1").execute(Tuple.of(id))
                .await().atMost(Duration.ofSeconds(5)).iterator().next();
        return row.getValue("published_at");
    }
}
