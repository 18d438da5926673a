package io.texttoimage.storage;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.specification.RequestSpecification;
import io.restassured.response.Response;
import io.texttoimage.contracts.ImageStored;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(value = StorageTestResource.class, restrictToAnnotatedClass = false)
class SignedUrlResourceTest {
    /** Health and metrics are on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;


    private final HttpClient http = HttpClient.newHttpClient();
    private String key;
    private byte[] png;

    @BeforeEach
    void putObject() throws Exception {
        key = ImageStored.keyOf(UUID.randomUUID(), 0);
        png = TestImages.png(8, 16, 7);
        MinioClient s3 = MinioClient.builder().endpoint(StorageTestResource.s3.endpoint())
                .credentials(StorageTestResource.s3.accessKey(), StorageTestResource.s3.secretKey()).build();
        s3.putObject(PutObjectArgs.builder().bucket(StorageTestResource.BUCKET).object(key)
                .stream(new ByteArrayInputStream(png), png.length, -1).contentType("image/png").build());
    }

    @Test
    void signedUrlCarriesThePublicHostAndDownloadsTheBytes() throws Exception {
        Instant before = Instant.now();
        ExtractableResponse<Response> response = asGateway().queryParam("key", key).queryParam("expiry", "PT1H")
                .get("/signed-urls").then().statusCode(200).contentType("application/json")
                .body("key", equalTo(key)).extract();
        URI url = URI.create(response.path("url"));
        Instant expiresAt = Instant.parse(response.path("expires_at"));

        assertEquals(URI.create(StorageTestResource.publicEndpoint()).getAuthority(), url.getAuthority());
        assertTrue(url.getQuery().contains("X-Amz-Signature="), url.toString());
        assertTrue(url.getQuery().contains("X-Amz-Expires=3600"), url.toString());
        assertTrue(!expiresAt.isBefore(before.plusSeconds(3600)) && expiresAt.isBefore(Instant.now().plusSeconds(3601)),
                "expires_at " + expiresAt);

        HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(url).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, download.statusCode());
        assertEquals("image/png", download.headers().firstValue("Content-Type").orElse(""));
        assertArrayEquals(png, download.body());
    }

    @Test
    void expiryDefaultsToOneHour() {
        String url = asGateway().queryParam("key", key).get("/signed-urls").then().statusCode(200).extract().path("url");
        assertTrue(url.contains("X-Amz-Expires=3600"), url);
    }

    @Test
    void expiredUrlIsRefusedByTheServer() throws Exception {
        String url = asGateway().queryParam("key", key).queryParam("expiry", "PT1S")
                .get("/signed-urls").then().statusCode(200).extract().path("url");
        Thread.sleep(2_500);
        HttpResponse<String> download = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, download.statusCode(), download.body());
    }

    @Test
    void tamperedSignatureIsRefusedByTheServer() throws Exception {
        String url = asGateway().queryParam("key", key).get("/signed-urls").then().statusCode(200).extract().path("url");
        String otherKey = url.replace(key, ImageStored.keyOf(UUID.randomUUID(), 0));
        HttpResponse<String> download = http.send(HttpRequest.newBuilder(URI.create(otherKey)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, download.statusCode(), download.body());
    }

    @Test
    void missingObjectIs404ProblemJson() {
        String missing = ImageStored.keyOf(UUID.randomUUID(), 3);
        asGateway().queryParam("key", missing).get("/signed-urls").then().statusCode(404)
                .contentType("application/problem+json")
                .body("status", equalTo(404))
                .body("title", equalTo("Not Found"))
                .body("detail", containsString(missing));
    }

    @Test
    void badExpiryIs400ProblemJson() {
        asGateway().queryParam("key", key).queryParam("expiry", "one hour").get("/signed-urls").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("ISO-8601"));
        asGateway().queryParam("key", key).queryParam("expiry", "P2D").get("/signed-urls").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("must not exceed PT24H"));
        asGateway().queryParam("key", key).queryParam("expiry", "PT0S").get("/signed-urls").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("at least one second"));
    }

    @Test
    void badKeyIs400ProblemJson() {
        asGateway().get("/signed-urls").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("'key' is required"));
        asGateway().queryParam("key", "../etc/passwd").get("/signed-urls").then().statusCode(400)
                .contentType("application/problem+json").body("status", equalTo(400));
        asGateway().queryParam("key", "/images/x.png").get("/signed-urls").then().statusCode(400)
                .contentType("application/problem+json");
    }

    @Test
    void onlyTheGatewaysTokensMayHaveUrlsSigned() {
        given().queryParam("key", key).get("/signed-urls").then().statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", startsWith("Bearer"))
                .body("status", equalTo(401)).body("detail", containsString("Authorization: Bearer"))
                .body("$", not(hasKey("url")));
        given().auth().oauth2("not-the-token-" + UUID.randomUUID()).queryParam("key", key).get("/signed-urls")
                .then().statusCode(401).contentType("application/problem+json")
                .body("detail", containsString("not one this storage adapter accepts"));
        given().header("Authorization", "Basic " + StorageTestResource.GATEWAY_TOKEN).queryParam("key", key)
                .get("/signed-urls").then().statusCode(401);
        // During a rotation the old token still works beside the new one.
        given().auth().oauth2(StorageTestResource.OLD_GATEWAY_TOKEN).queryParam("key", key).get("/signed-urls")
                .then().statusCode(200).body("key", equalTo(key));
    }

    @Test
    void healthNeedsNoToken() {
        given().port(management.getPort()).get("/q/health/live").then().statusCode(200);
    }

    @Test
    void existingObjectsOutsideTheImageKeysAreNeverSigned() throws Exception {
        String other = "notes/" + UUID.randomUUID() + ".txt";
        byte[] text = "not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        MinioClient s3 = MinioClient.builder().endpoint(StorageTestResource.s3.endpoint())
                .credentials(StorageTestResource.s3.accessKey(), StorageTestResource.s3.secretKey()).build();
        s3.putObject(PutObjectArgs.builder().bucket(StorageTestResource.BUCKET).object(other)
                .stream(new ByteArrayInputStream(text), text.length, -1).contentType("text/plain").build());
        for (String notAnImageKey : new String[] {other, ".", key.replace(".png", ".PNG"), key.toUpperCase(), key + "/"}) {
            asGateway().queryParam("key", notAnImageKey).get("/signed-urls").then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("detail", containsString("images/<job id>/<index>.png"));
        }
    }

    @Test
    void expiryIsBoundedByTheConfiguredPolicy() {
        // StorageTestResource sets t2i.storage.max-url-expiry to P1D; without it the bound is the gateway's hour.
        asGateway().queryParam("key", key).queryParam("expiry", "PT24H").get("/signed-urls").then().statusCode(200);
        asGateway().queryParam("key", key).queryParam("expiry", "PT24H1S").get("/signed-urls").then().statusCode(400);
    }

    private static RequestSpecification asGateway() {
        return given().auth().oauth2(StorageTestResource.GATEWAY_TOKEN);
    }

    @Test
    void unknownPathIsProblemJsonToo() {
        asGateway().get("/no-such-thing").then().statusCode(404).contentType("application/problem+json")
                .body("detail", containsString("/no-such-thing"));
    }
}
