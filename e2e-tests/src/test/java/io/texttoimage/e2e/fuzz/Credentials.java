package io.texttoimage.e2e.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The credential dimension of the fuzzer: every request carries one of {@link Kind}. Against a gateway with
 * authentication (GET /capabilities without a key answers 401) the valid kinds are real API keys, created through
 * {@code POST /admin/api-keys} with the stack's bootstrap admin key, and revoked/expired are keys made so; without
 * authentication every kind is still sent (the gateway must ignore them all alike) and the cross-owner checks are
 * skipped, with the reason in {@link #skipReason}.
 */
final class Credentials {
    enum Kind {
        NONE, GARBLED, WRONG_PREFIX, OWNER_A, OWNER_B, ADMIN, REVOKED, EXPIRED;

        boolean isOwner() {
            return this == OWNER_A || this == OWNER_B;
        }

        /** Kinds that a gateway with authentication must refuse with 401 on every protected path. */
        boolean mustBeRefused() {
            return this != OWNER_A && this != OWNER_B && this != ADMIN;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String OWNER_A_NAME = "fuzz-owner-a";
    static final String OWNER_B_NAME = "fuzz-owner-b";

    final boolean authEnabled;
    final String skipReason;
    private final Map<Kind, String> keys;

    private Credentials(boolean authEnabled, String skipReason, Map<Kind, String> keys) {
        this.authEnabled = authEnabled;
        this.skipReason = skipReason;
        this.keys = keys;
    }

    /**
     * Detects authentication and, where it is on, creates the keys of every kind with the admin key.
     * Without authentication the keys are random ones of the right form.
     */
    static Credentials prepare(HttpClient http, URI gateway, String adminKey, long seed, Consumer<String> say)
            throws Exception {
        HttpResponse<String> probe = http.send(HttpRequest.newBuilder(gateway.resolve("/capabilities"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        SplittableRandom random = new SplittableRandom(seed ^ 0x5eed_c0deL);
        Map<Kind, String> fake = new EnumMap<>(Kind.class);
        for (Kind kind : new Kind[] {Kind.OWNER_A, Kind.OWNER_B, Kind.ADMIN, Kind.REVOKED, Kind.EXPIRED}) {
            fake.put(kind, randomKey(random));
        }
        if (probe.statusCode() != 401) {
            return new Credentials(false, "the gateway has no authentication (GET /capabilities without a key answered "
                    + probe.statusCode() + "): credentials are sent but every caller is the same owner", fake);
        }
        Map<Kind, String> real = new EnumMap<>(Kind.class);
        real.put(Kind.ADMIN, adminKey);
        AdminApi admin = new AdminApi(http, gateway, adminKey);
        real.put(Kind.OWNER_A, admin.create("fuzz-a", OWNER_A_NAME, null).path("key").asText());
        real.put(Kind.OWNER_B, admin.create("fuzz-b", OWNER_B_NAME, null).path("key").asText());
        JsonNode revoked = admin.create("fuzz-revoked", OWNER_A_NAME, null);
        admin.revoke(revoked.path("id").asText());
        real.put(Kind.REVOKED, revoked.path("key").asText());
        real.put(Kind.EXPIRED, admin.createExpired("fuzz-expired", OWNER_A_NAME, say));
        say.accept("credentials: API keys created for " + OWNER_A_NAME + " and " + OWNER_B_NAME
                + ", a revoked and an expired one (of " + OWNER_A_NAME + "), and the bootstrap admin key");
        return new Credentials(true, null, real);
    }

    /** Credentials with the given keys, as {@link #prepare} would make them (for the oracle's own test). */
    static Credentials of(boolean authEnabled, String skipReason, Map<Kind, String> keys) {
        return new Credentials(authEnabled, skipReason, new EnumMap<>(keys));
    }

    /** Whether requests of one owner can be told apart from another's: auth is on and keys for both exist. */
    boolean ownersDistinct() {
        return authEnabled && skipReason == null;
    }

    /** The Authorization header value a request of {@code kind} carries, or empty for none. */
    Optional<String> authorization(Kind kind, SplittableRandom random) {
        return switch (kind) {
            case NONE -> Optional.empty();
            case GARBLED -> Optional.of(garbled(random));
            case WRONG_PREFIX -> Optional.of(wrongPrefix(random));
            default -> Optional.of("Bearer " + keys.get(kind));
        };
    }

    /** The credential values, to check that no answer echoes one. */
    Iterable<String> secrets() {
        return keys.values();
    }

    private String garbled(SplittableRandom random) {
        String valid = keys.get(Kind.OWNER_A);
        return switch (random.nextInt(9)) {
            case 0 -> "Bearer";
            case 1 -> "Bearer ";
            case 2 -> "Bearer " + valid.substring(0, valid.length() - 1 - random.nextInt(10));
            case 3 -> "Bearer " + valid + "x";
            case 4 -> "Bearer t2i_" + "!@#$%^&*()".repeat(4) + "abc";
            case 5 -> "Bearer " + "A".repeat(1 + random.nextInt(8000));
            case 6 -> "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdXp6In0."; // an unsigned JWT
            case 7 -> "Bearer eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"; // a JWT whose payload is not JSON
            default -> "Bearer  " + valid + " " + valid;
        };
    }

    private String wrongPrefix(SplittableRandom random) {
        String valid = keys.get(Kind.OWNER_A);
        return switch (random.nextInt(5)) {
            case 0 -> "Basic " + Base64.getEncoder().encodeToString("fuzz:secret".getBytes());
            case 1 -> "Token " + valid;
            case 2 -> valid; // no scheme
            case 3 -> "Bearer sk_" + valid.substring(4);
            default -> "Digest username=\"fuzz\"";
        };
    }

    static String randomKey(SplittableRandom random) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return "t2i_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The admin API of the auth contract (docs: notes/auth-contract.md), just what the fuzzer needs. */
    record AdminApi(HttpClient http, URI gateway, String adminKey) {
        JsonNode create(String name, String owner, Instant expiresAt) throws Exception {
            String body = JSON.writeValueAsString(expiresAt == null ? Map.of("name", name, "owner", owner)
                    : Map.of("name", name, "owner", owner, "expires_at", expiresAt.toString()));
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(gateway.resolve("/admin/api-keys"))
                    .header("Authorization", "Bearer " + adminKey).header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 201) {
                throw new IllegalStateException("POST /admin/api-keys " + body + " answered "
                        + response.statusCode() + ": " + response.body());
            }
            return JSON.readTree(response.body());
        }

        void revoke(String id) throws Exception {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(gateway.resolve("/admin/api-keys/" + id))
                    .header("Authorization", "Bearer " + adminKey).timeout(Duration.ofSeconds(10)).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("DELETE /admin/api-keys/" + id + " answered " + response.statusCode()
                        + ": " + response.body());
            }
        }

        /** A key already expired: one that expires two seconds from now, then a wait (a past date may be refused). */
        String createExpired(String name, String owner, Consumer<String> say) throws Exception {
            try {
                return create(name, owner, Instant.now().minusSeconds(60)).path("key").asText();
            } catch (IllegalStateException refused) {
                say.accept("credentials: a past expires_at was refused, creating one that expires in 2 s");
                String key = create(name, owner, Instant.now().plusSeconds(2)).path("key").asText();
                Thread.sleep(3_000);
                return key;
            }
        }
    }
}
