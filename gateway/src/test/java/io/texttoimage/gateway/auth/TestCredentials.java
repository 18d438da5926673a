package io.texttoimage.gateway.auth;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import java.util.LinkedHashMap;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/**
 * Real credentials for the tests that run with authentication on ({@link AuthEnabled}), made as users make them:
 * API keys through {@code POST /admin/api-keys} with the bootstrap admin key, revoked through
 * {@code DELETE /admin/api-keys/{id}}, and JWTs signed with the test run's key ({@link JwtSigningKeys}).
 */
public final class TestCredentials {
    private TestCredentials() {
    }

    /** An API key as its creation answered it: the id (to revoke it), the key (shown only then) and its owner. */
    public record Key(String id, String key, String owner) {
        /** A request that sends this key as {@code Authorization: Bearer}. */
        public RequestSpecification request() {
            return with(key);
        }

        /** The header that sends it, for clients other than RestAssured (e.g. an SSE reader). */
        public Map<String, String> header() {
            return Map.of("Authorization", "Bearer " + key);
        }
    }

    /** A key of {@code owner} (also its name), without limits of its own. */
    public static Key key(String owner) {
        return create(owner, false, Map.of());
    }

    /**
     * A key of {@code owner} with its own limits, by their API names ({@code max_active_jobs},
     * {@code submissions_per_minute}, {@code images_per_day}); each one left out is the gateway's default.
     */
    public static Key key(String owner, Map<String, Integer> limits) {
        return create(owner, false, limits);
    }

    /** An admin key, owned by {@code owner}. */
    public static Key adminKey(String owner) {
        return create(owner, true, Map.of());
    }

    private static Key create(String owner, boolean admin, Map<String, Integer> limits) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", owner);
        body.put("owner", owner);
        body.put("admin", admin);
        if (!limits.isEmpty()) {
            body.put("limits", limits);
        }
        Response created = asBootstrapAdmin().contentType(ContentType.JSON).body(body).post("/admin/api-keys")
                .then().statusCode(201).body("owner", equalTo(owner)).body("admin", equalTo(admin))
                .extract().response();
        limits.forEach((name, max) -> created.then().body("limits." + name, equalTo(max)));
        return new Key(created.path("id"), created.path("key"), owner);
    }

    /** Revokes the key through the admin API. */
    public static void revoke(Key key) {
        asBootstrapAdmin().delete("/admin/api-keys/" + key.id()).then().statusCode(200);
    }

    /** A JWT of the test issuer for {@code subject} (its owner), valid for five minutes, in no group. */
    public static String jwt(String subject) {
        return JwtSigningKeys.jwt(subject);
    }

    public static RequestSpecification asBootstrapAdmin() {
        return with(AuthEnabled.BOOTSTRAP_ADMIN_KEY);
    }

    /** A request that sends {@code credential} (an API key or a JWT) as {@code Authorization: Bearer}. */
    public static RequestSpecification with(String credential) {
        return given().auth().oauth2(credential);
    }
}
