package io.texttoimage.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.SchedulerNames;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Submission, reads, listing and every client error of the REST API, against real PostgreSQL and RabbitMQ. */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class GeneratedImageApiTest extends WithFakeGenerator {
    /** Health and metrics are on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    private static final String PROBLEM = "application/problem+json";

    @Test
    void submitStoresTheJobAndQueuesTheSameParameters() throws Exception {
        Response response = given().contentType(ContentType.JSON)
                .body("""
                        {"prompt":"a lighthouse at dawn","negative_prompt":"blurry","num_steps":20,
                         "guidance_scale":6.5,"width":512,"height":384,"scheduler":"euler-a","seed":1234,"num_images":2}""")
                .post("/generated-images")
                .then().statusCode(201).contentType(ContentType.JSON)
                .extract().response();
        String id = response.path("id");
        assertTrue(response.header("Location").endsWith("/generated-images/" + id), response.header("Location"));
        response.then()
                .body("status", equalTo("queued"))
                .body("prompt", equalTo("a lighthouse at dawn"))
                .body("negative_prompt", equalTo("blurry"))
                .body("num_steps", equalTo(20))
                .body("guidance_scale", equalTo(6.5f))
                .body("width", equalTo(512))
                .body("height", equalTo(384))
                .body("scheduler", equalTo("euler-a"))
                .body("seed", equalTo(1234))
                .body("num_images", equalTo(2))
                .body("progress", equalTo(0))
                .body("current_step", equalTo(0))
                .body("total_steps", equalTo(20))
                .body("image_keys.size()", equalTo(0))
                .body("created_at", notNullValue())
                .body("started_at", nullValue())
                .body("cancel_requested", equalTo(false));

        GenerationRequested queued = generator.takeRequest(UUID.fromString(id), Duration.ofSeconds(10));
        assertEquals(GenerationRequested.SCHEMA_VERSION, queued.schemaVersion());
        assertEquals("a lighthouse at dawn", queued.prompt());
        assertEquals("blurry", queued.negativePrompt());
        assertEquals(20, queued.numSteps());
        assertEquals(6.5, queued.guidanceScale());
        assertEquals(512, queued.width());
        assertEquals(384, queued.height());
        assertEquals("euler-a", queued.scheduler());
        assertEquals(1234L, queued.seed());
        assertEquals(2, queued.numImages());
        assertEquals(2, generator.lastRequestProperties.getDeliveryMode(), "job messages must be persistent");

        given().get("/generated-images/" + id).then().statusCode(200)
                .body("id", equalTo(id)).body("status", equalTo("queued")).body("seed", equalTo(1234));
    }

    @Test
    void aJobTheBrokerRefusesIsMarkedFailedAndTheClientGets503() throws Exception {
        // x-max-length + x-overflow=reject-publish are RabbitMQ features; Qpid Broker-J (bin/test's embedded broker
        // where RabbitMQ is not running) ignores them and accepts the publish.
        String product = generator.brokerProduct();
        Assumptions.assumeTrue("RabbitMQ".equals(product), () -> "needs RabbitMQ to make the broker refuse publishes"
                + " (x-overflow=reject-publish); the broker on the AMQP port is '" + product + "'");
        generator.makeWorkQueueRejectPublishes();
        try {
            given().contentType(ContentType.JSON).body("{\"prompt\":\"refused by the broker\"}")
                    .post("/generated-images")
                    .then().statusCode(503).contentType(PROBLEM)
                    .body("type", endsWith("/broker-unavailable"))
                    .body("detail", containsString("could not be queued"));
        } finally {
            generator.restoreWorkQueue();
        }
        given().get("/generated-images?size=1").then().statusCode(200)
                .body("items[0].prompt", equalTo("refused by the broker"))
                .body("items[0].status", equalTo("failed"))
                .body("items[0].error", containsString("could not be queued"))
                .body("items[0].finished_at", notNullValue());
        // The next submission goes through again.
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"accepted again\"}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        generator.takeRequest(UUID.fromString(id), Duration.ofSeconds(10));
    }

    @Test
    void aJobThatReachesNoQueueIsMarkedFailedInsteadOfSilentlyDropped() throws Exception {
        // Jobs are published mandatory: with the work queue unbound the broker refuses the message (RabbitMQ
        // returns it, Qpid Broker-J nacks it), and the submission must fail rather than answer 201 for a job nobody
        // will ever see. Either way the reason names the exchange the job was sent to.
        String exchange = generator.workExchange();
        generator.unbindWorkQueue();
        try {
            given().contentType(ContentType.JSON).body("{\"prompt\":\"routed nowhere\"}")
                    .post("/generated-images")
                    .then().statusCode(503).contentType(PROBLEM)
                    .body("type", endsWith("/broker-unavailable"))
                    .body("detail", containsString("could not be queued"))
                    .body("detail", containsString("exchange " + exchange));
        } finally {
            generator.rebindWorkQueue();
        }
        given().get("/generated-images?size=1").then().statusCode(200)
                .body("items[0].prompt", equalTo("routed nowhere"))
                .body("items[0].status", equalTo("failed"))
                .body("items[0].error", containsString("exchange " + exchange))
                .body("items[0].finished_at", notNullValue());
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"routed again\"}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        generator.takeRequest(UUID.fromString(id), Duration.ofSeconds(10));
    }

    @Test
    void absentOptionalValuesTakeDefaultsAndARandomSeedIsReturned() throws Exception {
        Response response = given().contentType(ContentType.JSON).body("{\"prompt\":\"a cat\"}")
                .post("/generated-images").then().statusCode(201)
                .body("num_steps", equalTo(50))
                .body("guidance_scale", equalTo(7.5f))
                .body("num_images", equalTo(1))
                .body("width", nullValue())
                .body("height", nullValue())
                .body("scheduler", nullValue())
                .extract().response();
        long seed = response.jsonPath().getLong("seed");
        assertTrue(seed >= 0, "seed " + seed);
        GenerationRequested queued = generator.takeRequest(UUID.fromString(response.path("id")), Duration.ofSeconds(10));
        assertEquals(seed, queued.seed());
        assertEquals(50, queued.numSteps());
        assertNull(queued.width());
        assertNull(queued.scheduler());
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"prompt\":\"\"}                                   | prompt",
            "{\"prompt\":\"   \"}                                | prompt",
            "{\"num_steps\":10}                                  | prompt",
            "{\"prompt\":\"x\",\"num_steps\":0}                  | num_steps",
            "{\"prompt\":\"x\",\"num_steps\":151}                | num_steps",
            "{\"prompt\":\"x\",\"guidance_scale\":-0.5}          | guidance_scale",
            "{\"prompt\":\"x\",\"guidance_scale\":30.5}          | guidance_scale",
            "{\"prompt\":\"x\",\"width\":100}                    | width",
            "{\"prompt\":\"x\",\"width\":0}                      | width",
            "{\"prompt\":\"x\",\"width\":1088}                   | width",
            "{\"prompt\":\"x\",\"height\":65}                    | height",
            "{\"prompt\":\"x\",\"scheduler\":\"k_euler\"}        | scheduler",
            "{\"prompt\":\"x\",\"seed\":-1}                      | seed",
            "{\"prompt\":\"x\",\"num_images\":0}                 | num_images",
            "{\"prompt\":\"x\",\"num_images\":5}                 | num_images",
            "{\"prompt\":\"x\",\"num_steps\":\"many\"}           | num_steps",
            "{\"prompt\":\"x\",\"seed\":9223372036854775808}     | seed",
            "{\"prompt\":\"\\u200b\\u00a0\\u2060\"}                | prompt",
            "{\"prompt\":\"a \\u001b[31m red\"}                | prompt",
            "{\"prompt\":\"x\",\"negative_prompt\":\"\\u0000\"} | negative_prompt",
            "{\"prompt\":\"x\",\"queue_timeout\":0}              | queue_timeout",
            "{\"prompt\":\"x\",\"run_timeout\":999999}           | run_timeout",
    })
    void invalidFieldsAreRejectedWithFieldDetails(String body, String field) {
        given().contentType(ContentType.JSON).body(body).post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("status", equalTo(400))
                .body("title", notNullValue())
                .body("detail", containsString(field))
                .body("instance", equalTo("/generated-images"))
                .body("errors.field", hasItem(field));
    }

    /** The generators' names in any case and with any separator, and A1111's names: the contracts' rules. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"DPM++ 2M SDE Karras", "HEUN", "dpm2_a_karras", "deis", "Euler a", "PLMS"})
    void schedulerNamesAndAliasesAreAcceptedAsSent(String scheduler) throws Exception {
        Response response = given().contentType(ContentType.JSON)
                .body("{\"prompt\":\"x\",\"scheduler\":\"" + scheduler + "\"}")
                .post("/generated-images")
                .then().statusCode(201).body("scheduler", equalTo(scheduler))
                .extract().response();
        GenerationRequested queued = generator.takeRequest(UUID.fromString(response.path("id")), Duration.ofSeconds(10));
        assertEquals(scheduler, queued.scheduler(), "the generator canonicalises it and reports it when RUNNING");
    }

    @Test
    void anUnknownSchedulerIsRejectedWithTheValidNames() {
        Response response = given().contentType(ContentType.JSON).body("{\"prompt\":\"x\",\"scheduler\":\"k_euler\"}")
                .post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("errors.field", equalTo(List.of("scheduler")))
                .extract().response();
        String message = response.path("errors[0].message");
        for (String name : SchedulerNames.NAMES) {
            assertTrue(message.contains(name), message);
        }
        assertTrue(response.<String>path("detail").startsWith("scheduler must be one of pndm, ddim"),
                response.<String>path("detail"));
    }

    @Test
    void tooLongPromptsAreRejected() {
        String prompt = "a".repeat(2001);
        given().contentType(ContentType.JSON).body("{\"prompt\":\"" + prompt + "\",\"negative_prompt\":\"" + prompt + "\"}")
                .post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("errors.field", equalTo(List.of("negative_prompt", "prompt")));
    }

    @Test
    void severalInvalidFieldsAreAllReported() {
        given().contentType(ContentType.JSON).body("{\"prompt\":\"\",\"num_steps\":0,\"width\":63}")
                .post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("errors.field", hasItems("num_steps", "prompt", "width"))
                .body("errors.findAll { it.field == 'width' }.message", hasItems("must be a multiple of 64",
                        "must be greater than or equal to 64"));
    }

    /** The messages are the API's own English sentences, not the validator's translations for the client's language. */
    @Test
    void fieldMessagesAreTheSameWhateverTheClientsLanguage() {
        for (String language : List.of("de-DE", "fr", "es;q=0.9, ja;q=0.8")) {
            given().header("Accept-Language", language).contentType(ContentType.JSON)
                    .body("{\"prompt\":\" \",\"num_steps\":151,\"seed\":-1}")
                    .post("/generated-images")
                    .then().statusCode(400).contentType(PROBLEM)
                    .body("detail", equalTo("num_steps must be less than or equal to 150; prompt must not be blank; "
                            + "seed must be greater than or equal to 0"));
        }
    }

    @Test
    void malformedJsonIsA400Problem() {
        given().contentType(ContentType.JSON).body("{\"prompt\": \"unterminated")
                .post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("type", endsWith("/malformed-json"))
                .body("title", equalTo("Malformed JSON"))
                .body("detail", equalTo("The request body is not valid JSON: it ends before the JSON value is complete."));
        given().contentType(ContentType.JSON).body("{\"prompt\": }")
                .post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("type", endsWith("/malformed-json"))
                .body("title", equalTo("Malformed JSON"))
                .body("detail", startsWith("The request body is not valid JSON at line 1, column 12: "));
    }

    @Test
    void missingBodyIsA400Problem() {
        given().contentType(ContentType.JSON).post("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("errors.field", hasItem("body"));
    }

    @Test
    void wrongContentTypeIsA415Problem() {
        given().contentType(ContentType.TEXT).body("a cat").post("/generated-images")
                .then().statusCode(415).contentType(PROBLEM).body("status", equalTo(415));
    }

    @Test
    void malformedIdsAreA404Problem() {
        // no job can have such an id: the same answer as for an unknown UUID
        for (String path : List.of("/generated-images/not-a-uuid", "/generated-images/42/url",
                "/generated-images/xyz/events")) {
            given().get(path).then().statusCode(404).contentType(PROBLEM)
                    .body("type", equalTo("https://texttoimage.io/problems/not-found"))
                    .body("detail", containsString("ids are UUIDs"))
                    .body("instance", equalTo(path));
        }
        given().delete("/generated-images/nope").then().statusCode(404).contentType(PROBLEM)
                .body("detail", equalTo("No generated image has the id 'nope' (ids are UUIDs)."));
    }

    @Test
    void unknownIdsAreA404Problem() {
        String id = UUID.randomUUID().toString();
        for (String path : List.of("/generated-images/" + id, "/generated-images/" + id + "/url")) {
            given().get(path).then().statusCode(404).contentType(PROBLEM)
                    .body("status", equalTo(404))
                    .body("detail", containsString(id))
                    .body("instance", equalTo(path));
        }
        given().delete("/generated-images/" + id).then().statusCode(404).contentType(PROBLEM);
        given().accept("text/event-stream").get("/generated-images/" + id + "/events")
                .then().statusCode(404).contentType(PROBLEM);
    }

    @Test
    void listingIsPaginatedNewestFirst() throws Exception {
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(given().contentType(ContentType.JSON).body("{\"prompt\":\"listing " + i + "\"}")
                    .post("/generated-images").then().statusCode(201).extract().path("id"));
        }
        given().get("/generated-images?page=0&size=2").then().statusCode(200)
                .body("page", equalTo(0)).body("size", equalTo(2))
                .body("total", greaterThanOrEqualTo(3))
                .body("items.size()", equalTo(2))
                .body("items[0].id", equalTo(ids.get(2)))
                .body("items[1].id", equalTo(ids.get(1)))
                .body("items[0].prompt", equalTo("listing 2"));
        given().get("/generated-images?page=1&size=2").then().statusCode(200)
                .body("page", equalTo(1))
                .body("items[0].id", equalTo(ids.get(0)));
        given().get("/generated-images").then().statusCode(200)
                .body("page", equalTo(0)).body("size", equalTo(20))
                .body("items[0].id", equalTo(ids.get(2)));
    }

    @ParameterizedTest
    @CsvSource({"size,0", "size,101", "size,ten", "page,-1"})
    void invalidPagingIsA400Problem(String parameter, String value) {
        given().queryParam(parameter, value).get("/generated-images")
                .then().statusCode(400).contentType(PROBLEM)
                .body("errors.field", hasItem(parameter));
    }

    @Test
    void urlBeforeTheJobSucceededIsA409Problem() {
        String id = given().contentType(ContentType.JSON).body("{\"prompt\":\"not yet\"}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
        given().get("/generated-images/" + id + "/url").then().statusCode(409).contentType(PROBLEM)
                .body("status", equalTo(409))
                .body("detail", containsString("queued"));
    }

    @Test
    void unknownPathsAndMethodsAreProblems() {
        given().get("/no-such-thing").then().statusCode(404).contentType(PROBLEM);
        given().contentType(ContentType.JSON).body("{}").put("/generated-images")
                .then().statusCode(405).contentType(PROBLEM);
    }

    @Test
    void healthAndMetricsAreOnTheManagementPortAndOpenApiOnTheApiPort() {
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                // the database's check is Quarkus's own (its name is Quarkus's wording): one that names PostgreSQL
                .body("checks.findAll { it.name.toLowerCase().contains('postgresql') }.status", equalTo(List.of("UP")))
                .body("checks.find { it.name == 'rabbitmq' }.status", equalTo("UP"));
        given().port(management.getPort()).get("/q/metrics").then().statusCode(200).body(containsString("t2i_gateway_jobs_submitted_total"));
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/generated-images/{id}/events"));
        given().get("/q/swagger-ui/").then().statusCode(200);
        // Not on the public port: what only the kubelet and Prometheus should reach.
        given().get("/q/health/ready").then().statusCode(404);
        given().get("/q/metrics").then().statusCode(404);
    }
}
