package io.texttoimage.gateway.auth;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import io.texttoimage.gateway.GatewayTestResources;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Authentication switched on (as in production), against the real PostgreSQL and RabbitMQ. */
@QuarkusTest
@TestProfile(AuthEnabled.class)
@WithTestResource(GatewayTestResources.class)
class AuthenticationTest {
    private static final String PROBLEM = "application/problem+json";
    private static final String CHALLENGE = "Bearer realm=\"text-to-image\"";
    private static final String INVALID_TOKEN = "Bearer realm=\"text-to-image\", error=\"invalid_token\"";
    private static final String TYPES = "https://texttoimage.io/problems/";

    @TestHTTPResource(value = "/", management = true)
    URL management;

    @TestHTTPResource("/")
    URI base;

    // ---------------------------------------------------------------- no credential, public paths

    @Test
    void everyProtectedEndpointFamilyAnswersA401ProblemWithTheChallenge() {
        for (String path : List.of("/generated-images", "/generated-images/" + UUID.randomUUID(),
                "/generated-images/" + UUID.randomUUID() + "/events", "/capabilities", "/workers",
                "/admin/api-keys", "/no-such-path")) {
            given().get(path).then().statusCode(401).contentType(PROBLEM)
                    .header("WWW-Authenticate", CHALLENGE)
                    .body("type", equalTo(TYPES + "unauthorized"))
                    .body("status", equalTo(401))
                    .body("detail", containsString("Authorization: Bearer"))
                    .body("instance", equalTo(path));
        }
        given().contentType(ContentType.JSON).body("{\"prompt\":\"no key\"}").post("/generated-images")
                .then().statusCode(401).header("WWW-Authenticate", CHALLENGE);
        given().contentType(ContentType.JSON).body("{\"name\":\"no key\"}").post("/admin/api-keys")
                .then().statusCode(401).header("WWW-Authenticate", CHALLENGE);
        given().delete("/admin/api-keys/" + UUID.randomUUID()).then().statusCode(401);
    }

    @Test
    void theWebPageTheApiDescriptionAndTheManagementPortNeedNoCredential() {
        for (String path : List.of("/", "/index.html", "/app.js", "/app.css", "/favicon.svg", "/q/openapi",
                "/q/swagger-ui/")) {
            given().get(path).then().statusCode(200);
        }
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(200);
        given().port(management.getPort()).get("/q/metrics").then().statusCode(200);
    }

    @Test
    void theApiDescriptionOffersTheBearerSchemeForSwaggerUisAuthorizeButton() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body("components.securitySchemes.bearer.type", equalTo("http"))
                .body("components.securitySchemes.bearer.scheme", equalTo("bearer"))
                .body("security[0]", hasKey("bearer"));
    }

    @Test
    void aCredentialThatIsNeitherBearerNorKnownIsRefusedWithInvalidToken() {
        given().header("Authorization", "Basic dXNlcjpwYXNz").get("/capabilities").then().statusCode(401)
                .contentType(PROBLEM).header("WWW-Authenticate", INVALID_TOKEN)
                .body("detail", containsString("Bearer <credential>"));
        String unknown = "t2i_" + "A".repeat(43);
        given().auth().oauth2(unknown).get("/capabilities").then().statusCode(401)
                .header("WWW-Authenticate", INVALID_TOKEN).body("detail", containsString("unknown"))
                .body("detail", not(containsString(unknown)));
        given().auth().oauth2("t2i_short").get("/capabilities").then().statusCode(401)
                .header("WWW-Authenticate", INVALID_TOKEN).body("detail", containsString("malformed"));
    }

    // ---------------------------------------------------------------- API keys

    @Test
    void aKeyCreatedByTheBootstrapAdminWorksIsShownOnceAndIsRefusedOnceRevoked() {
        Response created = asBootstrapAdmin().contentType(ContentType.JSON).body("{\"name\":\"ci-bot\"}")
                .post("/admin/api-keys").then().statusCode(201).contentType(ContentType.JSON)
                .body("key", matchesPattern("t2i_[A-Za-z0-9_-]{43}"))
                .body("name", equalTo("ci-bot")).body("owner", equalTo("ci-bot")).body("admin", equalTo(false))
                .body("created_at", notNullValue()).body("last_used_at", nullValue())
                .body("revoked_at", nullValue()).body("expires_at", nullValue())
                .body("limits.max_active_jobs", nullValue())
                .extract().response();
        String id = created.path("id");
        String key = created.path("key");
        assertEquals("/admin/api-keys/" + id, created.header("Location"));

        with(key).get("/capabilities").then().statusCode(200);
        with(key).get("/test-only/whoami").then().statusCode(200)
                .body("owner", equalTo("ci-bot")).body("admin", equalTo(false)).body("key_id", equalTo(id));
        asBootstrapAdmin().get("/admin/api-keys").then().statusCode(200)
                .body("items.find { it.id == '" + id + "' }.name", equalTo("ci-bot"))
                .body("items.find { it.id == '" + id + "' }.last_used_at", notNullValue())
                .body("items.find { it.id == '" + id + "' }", not(hasKey("key")))
                .body("items.find { it.id == '" + id + "' }", not(hasKey("key_hash")))
                .body(not(containsString(key)));

        String revokedAt = asBootstrapAdmin().delete("/admin/api-keys/" + id).then().statusCode(200)
                .body("id", equalTo(id)).body("revoked_at", notNullValue()).body("$", not(hasKey("key")))
                .extract().path("revoked_at");
        asBootstrapAdmin().delete("/admin/api-keys/" + id).then().statusCode(200)
                .body("revoked_at", equalTo(revokedAt));
        with(key).get("/capabilities").then().statusCode(401).contentType(PROBLEM)
                .header("WWW-Authenticate", INVALID_TOKEN)
                .body("type", equalTo(TYPES + "unauthorized")).body("detail", containsString("revoked"));
        asBootstrapAdmin().get("/admin/api-keys").then().statusCode(200)
                .body("items.find { it.id == '" + id + "' }.revoked_at", equalTo(revokedAt));
    }

    @Test
    void revokingAnUnknownOrMalformedIdIsA404() {
        asBootstrapAdmin().delete("/admin/api-keys/" + UUID.randomUUID()).then().statusCode(404)
                .contentType(PROBLEM);
        asBootstrapAdmin().delete("/admin/api-keys/not-a-uuid").then().statusCode(404).contentType(PROBLEM);
    }

    @Test
    void theKeyListIsNewestFirst() {
        String older = createKey("{\"name\":\"older\"}").path("id");
        String newer = createKey("{\"name\":\"newer\"}").path("id");
        List<String> ids = asBootstrapAdmin().get("/admin/api-keys").then().statusCode(200)
                .extract().path("items.id");
        assertTrue(ids.indexOf(newer) < ids.indexOf(older), ids.toString());
    }

    @Test
    void onlyTheKeysHmacIsStored() throws Exception {
        Response created = createKey("{\"name\":\"stored-hashed\"}");
        String key = created.path("key");
        try (Connection db = database();
             PreparedStatement query = db.prepareStatement(
                     "SELECT key_hash, row_to_json(k)::text AS everything FROM api_keys k WHERE id = ?")) {
            query.setObject(1, UUID.fromString(created.path("id")));
            try (ResultSet row = query.executeQuery()) {
                assertTrue(row.next());
                assertArrayEquals(hmac(AuthEnabled.SECRET, key), row.getBytes("key_hash"));
                String everything = row.getString("everything");
                assertFalse(everything.contains(key.substring(4)), everything);
            }
        }
    }

    @Test
    void lastUsedAtIsWrittenAtMostOnceAMinute() throws Exception {
        Response created = createKey("{\"name\":\"busy\"}");
        String key = created.path("key");
        UUID id = UUID.fromString(created.path("id"));
        setLastUsed(id, "now() - interval '30 seconds'");
        Instant recent = lastUsed(id);
        with(key).get("/capabilities").then().statusCode(200);
        assertEquals(recent, lastUsed(id), "used again within the minute: not written");
        setLastUsed(id, "now() - interval '2 minutes'");
        Instant old = lastUsed(id);
        with(key).get("/capabilities").then().statusCode(200);
        assertTrue(lastUsed(id).isAfter(old.plusSeconds(60)), "used after more than a minute: written");
    }

    private static void setLastUsed(UUID id, String when) throws Exception {
        try (Connection db = database();
             PreparedStatement update = db.prepareStatement("UPDATE api_keys SET last_used_at = " + when
                     + " WHERE id = ?")) {
            update.setObject(1, id);
            assertEquals(1, update.executeUpdate());
        }
    }

    private static Instant lastUsed(UUID id) throws Exception {
        try (Connection db = database();
             PreparedStatement query = db.prepareStatement("SELECT last_used_at FROM api_keys WHERE id = ?")) {
            query.setObject(1, id);
            try (ResultSet row = query.executeQuery()) {
                assertTrue(row.next());
                return row.getTimestamp(1).toInstant();
            }
        }
    }

    @Test
    void anExpiredKeyIsRefused() throws Exception {
        Response created = createKey("{\"name\":\"expiring\",\"expires_at\":\"" + Instant.now().plusSeconds(3600)
                + "\"}");
        String key = created.path("key");
        with(key).get("/capabilities").then().statusCode(200);
        try (Connection db = database();
             PreparedStatement expire = db.prepareStatement(
                     "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = ?")) {
            expire.setObject(1, UUID.fromString(created.path("id")));
            assertEquals(1, expire.executeUpdate());
        }
        with(key).get("/capabilities").then().statusCode(401).header("WWW-Authenticate", INVALID_TOKEN)
                .body("detail", containsString("expired"));
    }

    @Test
    void aKeyThatCannotBeLookedUpIsA503ToRetryNotA401() throws Exception {
        String key = createKey("{\"name\":\"unlucky\"}").path("key");
        try (Connection db = database(); java.sql.Statement sql = db.createStatement()) {
            sql.execute("ALTER TABLE api_keys RENAME TO api_keys_away"); // every lookup fails, as in an outage
            try {
                with(key).get("/capabilities").then().statusCode(503).contentType(PROBLEM)
                        .header("Retry-After", equalTo("5"))
                        .body("type", equalTo(TYPES + "database-unavailable"))
                        .body("detail", containsString("could not be checked"));
            } finally {
                sql.execute("ALTER TABLE api_keys_away RENAME TO api_keys");
            }
        }
        with(key).get("/capabilities").then().statusCode(200);
    }

    @Test
    void aKeyCannotBeCreatedExpired() {
        asBootstrapAdmin().contentType(ContentType.JSON)
                .body("{\"name\":\"late\",\"expires_at\":\"2020-01-01T00:00:00Z\"}").post("/admin/api-keys")
                .then().statusCode(400).contentType(PROBLEM).body("errors[0].field", equalTo("expires_at"));
    }

    @Test
    void aNonAdminKeyGetsA403OnTheAdminApi() {
        String key = createKey("{\"name\":\"plain\"}").path("key");
        with(key).get("/admin/api-keys").then().statusCode(403).contentType(PROBLEM)
                .body("type", equalTo(TYPES + "forbidden")).body("status", equalTo(403))
                .body("detail", containsString("admin"));
        with(key).contentType(ContentType.JSON).body("{\"name\":\"escalate\",\"admin\":true}")
                .post("/admin/api-keys").then().statusCode(403).contentType(PROBLEM);
        with(key).delete("/admin/api-keys/" + UUID.randomUUID()).then().statusCode(403);
        // the path rule itself, before any resource: every /admin path
        with(key).get("/admin/no-such-thing").then().statusCode(403).contentType(PROBLEM)
                .body("type", equalTo(TYPES + "forbidden")).body("instance", equalTo("/admin/no-such-thing"));
    }

    @Test
    void anAdminKeyManagesKeysAndItsOverridesReachTheCaller() {
        Response admin = createKey("""
                {"name":"ops","owner":"team-ops","admin":true,"expires_at":"2999-01-01T00:00:00Z",
                 "limits":{"max_active_jobs":5,"submissions_per_minute":60,"images_per_day":1000}}""");
        admin.then().body("owner", equalTo("team-ops")).body("admin", equalTo(true))
                .body("expires_at", equalTo("2999-01-01T00:00:00Z"))
                .body("limits.max_active_jobs", equalTo(5)).body("limits.submissions_per_minute", equalTo(60))
                .body("limits.images_per_day", equalTo(1000));
        String adminKey = admin.path("key");
        with(adminKey).get("/test-only/whoami").then().statusCode(200)
                .body("owner", equalTo("team-ops")).body("admin", equalTo(true))
                .body("overrides.max_active_jobs", equalTo(5)).body("overrides.submissions_per_minute", equalTo(60))
                .body("overrides.images_per_day", equalTo(1000));

        String made = with(adminKey).contentType(ContentType.JSON).body("{\"name\":\"made-by-ops\"}")
                .post("/admin/api-keys").then().statusCode(201).extract().path("id");
        with(adminKey).get("/admin/api-keys").then().statusCode(200)
                .body("items.find { it.id == '" + made + "' }.name", equalTo("made-by-ops"));
        with(adminKey).delete("/admin/api-keys/" + made).then().statusCode(200).body("revoked_at", notNullValue());
    }

    @Test
    void theBootstrapAdminKeyIsAnAdminCallerOwnedByAdmin() {
        asBootstrapAdmin().get("/test-only/whoami").then().statusCode(200)
                .body("owner", equalTo("admin")).body("admin", equalTo(true)).body("key_id", nullValue());
    }

    @Test
    void createBodiesAreStrict() {
        for (String body : List.of("{\"name\":\"x\",\"nmae\":\"y\"}", "{}", "{\"name\":\"\"}",
                "{\"name\":\" padded\"}", "{\"name\":\"" + "n".repeat(101) + "\"}",
                "{\"name\":\"x\",\"limits\":{\"max_active_jobs\":0}}",
                "{\"name\":\"x\",\"limits\":{\"images_per_day\":\"5\"}}",
                "{\"name\":\"x\",\"limits\":{\"max_active_jobs\":1,\"burst\":2}}",
                "{\"name\":\"x\",\"admin\":\"yes\"}")) {
            asBootstrapAdmin().contentType(ContentType.JSON).body(body).post("/admin/api-keys")
                    .then().statusCode(400).contentType(PROBLEM);
        }
    }

    // ---------------------------------------------------------------- JWTs

    @Test
    void aValidJwtIsACallerOwnedByItsSubject() {
        with(jwt("alice", Set.of(), signingKey(), JwtSigningKeys.ISSUER, Instant.now().plusSeconds(300)))
                .get("/test-only/whoami").then().statusCode(200)
                .body("owner", equalTo("alice")).body("admin", equalTo(false)).body("key_id", nullValue());
        with(jwt("alice", Set.of(), signingKey(), JwtSigningKeys.ISSUER, Instant.now().plusSeconds(300)))
                .get("/generated-images").then().statusCode(200);
    }

    @Test
    void onlyTheAdminGroupMakesAJwtAnAdmin() {
        with(jwt("root", Set.of("t2i-admin"), signingKey(), JwtSigningKeys.ISSUER, Instant.now().plusSeconds(300)))
                .get("/admin/api-keys").then().statusCode(200);
        with(jwt("mallory", Set.of("admin"), signingKey(), JwtSigningKeys.ISSUER, Instant.now().plusSeconds(300)))
                .get("/admin/api-keys").then().statusCode(403).contentType(PROBLEM);
    }

    @Test
    void aJwtWithABadSignatureAnExpiryInThePastOrAnotherIssuerIsRefused() {
        PrivateKey stranger = JwtSigningKeys.rsaKeyPair().getPrivate();
        with(jwt("alice", Set.of(), stranger, JwtSigningKeys.ISSUER, Instant.now().plusSeconds(300)))
                .get("/capabilities").then().statusCode(401).contentType(PROBLEM)
                .header("WWW-Authenticate", INVALID_TOKEN).body("detail", containsString("signature"));
        with(jwt("alice", Set.of(), signingKey(), JwtSigningKeys.ISSUER, Instant.now().minusSeconds(600)))
                .get("/capabilities").then().statusCode(401)
                .header("WWW-Authenticate", INVALID_TOKEN).body("detail", containsString("expired"));
        with(jwt("alice", Set.of(), signingKey(), "https://elsewhere.example", Instant.now().plusSeconds(300)))
                .get("/capabilities").then().statusCode(401)
                .header("WWW-Authenticate", INVALID_TOKEN).body("detail", containsString("issuer"));
        with("not.a.jwt").get("/capabilities").then().statusCode(401).header("WWW-Authenticate", INVALID_TOKEN);
    }

    // ---------------------------------------------------------------- stream tokens

    @Test
    void aStreamTokenOpensItsOwnJobsEventStreamOnlyAndExpires() throws Exception {
        String key = createKey("{\"name\":\"browser\"}").path("key");
        String job = submit(key);
        String other = submit(key);
        Response issued = with(key).post("/generated-images/" + job + "/stream-token").then().statusCode(201)
                .contentType(ContentType.JSON).body("expires_at", notNullValue()).extract().response();
        String token = issued.path("token");
        assertFalse(token.contains(key.substring(4)), "the token must not carry the key");

        assertEquals(200, openEvents(job, token));
        assertEquals(401, openEvents(other, token));
        given().queryParam("stream_token", token).get("/generated-images/" + job).then().statusCode(401)
                .header("WWW-Authenticate", CHALLENGE); // elsewhere a stream token is no credential at all
        with(token).get("/generated-images/" + job).then().statusCode(401);
        given().queryParam("stream_token", token + "x").get("/generated-images/" + job + "/events").then()
                .statusCode(401).header("WWW-Authenticate", INVALID_TOKEN);

        Thread.sleep(Duration.ofSeconds(AuthEnabled.STREAM_TOKEN_TTL_SECONDS + 1));
        given().queryParam("stream_token", token).get("/generated-images/" + job + "/events").then()
                .statusCode(401).contentType(PROBLEM).header("WWW-Authenticate", INVALID_TOKEN)
                .body("detail", containsString("expired"));
    }

    @Test
    void aStreamTokenIsOnlyIssuedForAKnownJob() {
        asBootstrapAdmin().post("/generated-images/" + UUID.randomUUID() + "/stream-token").then().statusCode(404)
                .contentType(PROBLEM);
        given().post("/generated-images/" + UUID.randomUUID() + "/stream-token").then().statusCode(401);
    }

    // ---------------------------------------------------------------- helpers

    private static RequestSpecification asBootstrapAdmin() {
        return with(AuthEnabled.BOOTSTRAP_ADMIN_KEY);
    }

    private static RequestSpecification with(String credential) {
        return given().auth().oauth2(credential);
    }

    private static Response createKey(String body) {
        return asBootstrapAdmin().contentType(ContentType.JSON).body(body).post("/admin/api-keys")
                .then().statusCode(201).extract().response();
    }

    private static String submit(String key) {
        return with(key).contentType(ContentType.JSON).body("{\"prompt\":\"a stream to follow\"}")
                .post("/generated-images").then().statusCode(201).extract().path("id");
    }

    /** The status of the job's event stream opened with the token; the stream is closed at once. */
    private int openEvents(String job, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/generated-images/" + job + "/events?stream_token="
                + token)).header("Accept", "text/event-stream").timeout(Duration.ofSeconds(10)).build();
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<java.io.InputStream> response = client.send(request,
                    HttpResponse.BodyHandlers.ofInputStream());
            response.body().close();
            return response.statusCode();
        }
    }

    private static String jwt(String subject, Set<String> groups, PrivateKey key, String issuer, Instant expiry) {
        return Jwt.issuer(issuer).subject(subject).groups(groups).issuedAt(expiry.minusSeconds(900))
                .expiresAt(expiry).sign(key);
    }

    private static PrivateKey signingKey() {
        try {
            byte[] der = Base64.getDecoder().decode(ConfigProvider.getConfig()
                    .getValue(JwtSigningKeys.PRIVATE_KEY, String.class));
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Connection database() throws Exception {
        return DriverManager.getConnection(ConfigProvider.getConfig()
                .getValue("quarkus.datasource.jdbc.url", String.class), "postgres", "");
    }

    private static byte[] hmac(String secret, String text) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    }
}
