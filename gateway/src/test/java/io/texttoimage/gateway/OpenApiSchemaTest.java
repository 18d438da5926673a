package io.texttoimage.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.texttoimage.contracts.PromptTruncation;
import io.texttoimage.gateway.api.SignedUrlsResponse;
import io.texttoimage.gateway.api.WorkersResource;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The published OpenAPI document names every property as the API sends and accepts it: each schema's property names
 * are compared with a real accepted request and with the keys of real responses.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class OpenApiSchemaTest {
    /** One valid value for every field of the POST body, by its wire name. */
    private static final Map<String, Object> FULL_REQUEST = new LinkedHashMap<>();

    static {
        FULL_REQUEST.put("prompt", "every field, by its published name");
        FULL_REQUEST.put("negative_prompt", "blurry");
        FULL_REQUEST.put("num_steps", 12);
        FULL_REQUEST.put("guidance_scale", 5.5);
        FULL_REQUEST.put("width", 448);
        FULL_REQUEST.put("height", 320);
        FULL_REQUEST.put("scheduler", "ddim");
        FULL_REQUEST.put("seed", 77);
        FULL_REQUEST.put("num_images", 3);
        FULL_REQUEST.put("queue_timeout", 600);
        FULL_REQUEST.put("run_timeout", 900);
        // allow-listed in the tests (GatewayTestResources); nothing listens there, and the job never runs
        FULL_REQUEST.put("webhook", Map.of("url", "http://" + GatewayTestResources.WEBHOOK_RECEIVER_HOST + ":9/hook",
                "events", List.of("running", "progress", "completed")));
        FULL_REQUEST.put("previews", true);
    }

    @Inject
    ObjectMapper json;

    @TestHTTPResource("/")
    URI base;

    private JsonNode document;

    @BeforeEach
    void fetchDocument() throws Exception {
        document = json.readTree(given().get("/q/openapi?format=json").then().statusCode(200).extract().asString());
    }

    @Test
    void theRequestSchemaNamesExactlyTheFieldsTheApiAccepts() throws Exception {
        JsonNode schema = requestSchema("/generated-images", "post");
        assertEquals(new TreeSet<>(FULL_REQUEST.keySet()), propertyNames(schema));
        assertEquals(List.of("prompt"), names(schema.path("required")));
        assertEquals(false, schema.path("additionalProperties").asBoolean(true), "unknown fields are refused");

        // Every published name is read (unknown ones would be a 400) and comes back with its value.
        String body = json.writeValueAsString(FULL_REQUEST);
        JsonNode record = json.readTree(given().contentType(ContentType.JSON).body(body).post("/generated-images")
                .then().statusCode(201).extract().asString());
        FULL_REQUEST.forEach((name, value) -> {
            if (value instanceof Map<?, ?> object) { // the webhook: its fields come back as sent
                object.forEach((field, sent) -> assertEquals(json.valueToTree(sent), record.path(name).path(
                        (String) field), name + "." + field));
            } else {
                assertEquals(String.valueOf(value), record.path(name).asText(), name);
            }
        });
        assertKeys(resolve(schema.path("properties").path("webhook")), json.valueToTree(FULL_REQUEST.get("webhook")));
        JsonNode webhookSchema = resolve(responseSchema("/generated-images", "post", "201").path("properties")
                .path("webhook"));
        assertKeys(webhookSchema, record.path("webhook"));
    }

    @Test
    void theCamelCaseNamesTheDocumentUsedToPublishAreRefused() {
        for (String camel : List.of("negativePrompt", "numSteps", "guidanceScale", "numImages")) {
            given().contentType(ContentType.JSON).body("{\"prompt\":\"x\",\"" + camel + "\":1}").post("/generated-images")
                    .then().statusCode(400);
        }
    }

    @Test
    void everyResponseSchemaNamesTheKeysOfARealResponse() throws Exception {
        JsonNode created = json.readTree(given().contentType(ContentType.JSON).body("{\"prompt\":\"schema\"}")
                .post("/generated-images").then().statusCode(201).extract().asString());
        String id = created.path("id").asText();
        assertKeys(responseSchema("/generated-images", "post", "201"), created);
        assertKeys(responseSchema("/generated-images/{id}", "get", "200"),
                json.readTree(given().get("/generated-images/" + id).then().statusCode(200).extract().asString()));

        JsonNode page = json.readTree(given().get("/generated-images?size=1").then().statusCode(200).extract().asString());
        JsonNode pageSchema = responseSchema("/generated-images", "get", "200");
        assertKeys(pageSchema, page);
        assertKeys(resolve(pageSchema.path("properties").path("items").path("items")), page.path("items").get(0));

        JsonNode events = firstEvent(id);
        assertKeys(responseSchema("/generated-images/{id}/events", "get", "200", "text/event-stream"), events);

        // No signed URL without the storage adapter (unreachable in these tests): the app's own mapper writes one.
        JsonNode signed = json.valueToTree(new SignedUrlsResponse(Instant.now(),
                List.of(new SignedUrlsResponse.Image(0, "images/x/0.png", "http://signed"))));
        JsonNode signedSchema = responseSchema("/generated-images/{id}/url", "get", "200");
        assertKeys(signedSchema, signed);
        assertKeys(resolve(signedSchema.path("properties").path("images").path("items")), signed.path("images").get(0));

        JsonNode problem = json.readTree(given().contentType(ContentType.JSON).body("{\"prompt\":\"\"}")
                .post("/generated-images").then().statusCode(400).extract().asString());
        JsonNode problemSchema = responseSchema("/generated-images", "post", "400", "application/problem+json");
        assertKeys(problemSchema, problem);
        assertKeys(resolve(problemSchema.path("properties").path("errors").path("items")), problem.path("errors").get(0));

        JsonNode cancelled = json.readTree(given().delete("/generated-images/" + id).then().statusCode(202)
                .extract().asString());
        assertKeys(responseSchema("/generated-images/{id}", "delete", "202"), cancelled);
    }

    @Test
    void thePromptTruncationSchemaNamesTheKeysTheGatewayWrites() {
        // Real jobs carry it only after a generator cut a prompt: the app's own mapper writes one.
        JsonNode truncation = json.valueToTree(new PromptTruncation(
                new PromptTruncation.TruncatedText(80, 77, "in the snow"), null));
        JsonNode record = responseSchema("/generated-images/{id}", "get", "200");
        JsonNode schema = resolve(record.path("properties").path("prompt_truncation"));
        assertKeys(schema, truncation);
        assertKeys(resolve(schema.path("properties").path("prompt")), truncation.path("prompt"));
        JsonNode event = responseSchema("/generated-images/{id}/events", "get", "200", "text/event-stream");
        assertEquals(schema, resolve(event.path("properties").path("prompt_truncation")), "the same on SSE events");
    }

    @Test
    void theWorkersAndCapabilitiesSchemasNameTheKeysOfRealResponses() {
        JsonNode capabilities = json.valueToTree(given().get("/capabilities").then().statusCode(200).extract()
                .as(Map.class));
        JsonNode schema = responseSchema("/capabilities", "get", "200");
        assertKeys(schema, capabilities);
        for (String nested : List.of("default_size", "sizes", "limits")) {
            assertKeys(resolve(schema.path("properties").path(nested)), capabilities.path(nested));
        }
        JsonNode limits = resolve(schema.path("properties").path("limits"));
        assertKeys(resolve(limits.path("properties").path("num_steps")), capabilities.path("limits").path("num_steps"));
        assertKeys(resolve(limits.path("properties").path("guidance_scale")),
                capabilities.path("limits").path("guidance_scale"));
        assertKeys(resolve(schema.path("properties").path("schedulers").path("items")),
                capabilities.path("schedulers").get(0));

        assertKeys(responseSchema("/workers", "get", "200"),
                json.valueToTree(given().get("/workers").then().statusCode(200).extract().as(Map.class)));
        // No generator beats in this test: the app's own mapper writes a worker as the registry would list it.
        JsonNode worker = json.valueToTree(new WorkersResource.Worker("gen-1",
                new WorkersResource.Model("onnx-community/stable-diffusion-v1-5-ONNX", "main"), "CPU",
                new WorkersResource.CurrentJob(UUID.randomUUID(), 3, 21), Map.of("512x512", 0.8), 5.0,
                Instant.now(), Instant.now()));
        JsonNode workerSchema = resolve(responseSchema("/workers", "get", "200").path("properties").path("workers")
                .path("items"));
        assertKeys(workerSchema, worker);
        assertKeys(resolve(workerSchema.path("properties").path("model")), worker.path("model"));
        assertKeys(resolve(workerSchema.path("properties").path("current_job")), worker.path("current_job"));
    }

    @Test
    void noPublishedSchemaHasACamelCaseProperty() {
        List<String> camel = new ArrayList<>();
        document.path("components").path("schemas").properties().forEach(schema ->
                propertyNames(schema.getValue()).stream().filter(name -> !name.equals(name.toLowerCase()))
                        .forEach(name -> camel.add(schema.getKey() + "." + name)));
        assertEquals(List.of(), camel);
    }

    private JsonNode requestSchema(String path, String method) {
        return resolve(document.path("paths").path(path).path(method).path("requestBody").path("content")
                .path("application/json").path("schema"));
    }

    private JsonNode responseSchema(String path, String method, String status) {
        return responseSchema(path, method, status, "application/json");
    }

    private JsonNode responseSchema(String path, String method, String status, String mediaType) {
        JsonNode schema = document.path("paths").path(path).path(method).path("responses").path(status).path("content")
                .path(mediaType).path("schema");
        assertTrue(schema.isObject(), () -> "no " + mediaType + " schema for " + method + " " + path + " " + status);
        return resolve(schema);
    }

    private JsonNode resolve(JsonNode schema) {
        String ref = schema.path("$ref").asText(null);
        if (ref == null) {
            return schema;
        }
        JsonNode resolved = document.at(ref.substring(1)); // "#/components/schemas/X" -> "/components/schemas/X"
        assertTrue(resolved.isObject(), () -> "unresolved " + ref);
        return resolved;
    }

    private static void assertKeys(JsonNode schema, JsonNode actual) {
        assertNotNull(actual, "no response body to compare with");
        Set<String> keys = new TreeSet<>();
        actual.fieldNames().forEachRemaining(keys::add);
        assertEquals(propertyNames(schema), keys, "schema properties vs response keys of " + actual);
    }

    private static Set<String> propertyNames(JsonNode schema) {
        Set<String> names = new TreeSet<>();
        schema.path("properties").fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> names(JsonNode array) {
        List<String> names = new ArrayList<>();
        array.forEach(node -> names.add(node.asText()));
        return names;
    }

    /** The data of the first event on the job's SSE stream (its current state). */
    private JsonNode firstEvent(String id) throws Exception {
        // The stream stays open (the job is still queued): shutdownNow, as close() would wait for it to end.
        HttpClient client = HttpClient.newHttpClient();
        try {
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/generated-images/" + id + "/events"))
                    .timeout(Duration.ofSeconds(10)).header("Accept", "text/event-stream").build();
            HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, response.statusCode());
            try (Stream<String> lines = response.body()) {
                Iterator<String> it = lines.iterator();
                while (it.hasNext()) {
                    String line = it.next();
                    if (line.startsWith("data:")) {
                        return json.readTree(line.substring("data:".length()).trim());
                    }
                }
            }
        } finally {
            client.shutdownNow();
        }
        return null;
    }
}
