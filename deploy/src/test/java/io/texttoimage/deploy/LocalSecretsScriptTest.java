package io.texttoimage.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Service;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * overlays/local/create-secrets.sh against a recording stand-in for kubectl (the script's only dependency): it must
 * create exactly the Secrets and keys the manifests read, with fresh random values, and keep existing ones.
 */
class LocalSecretsScriptTest {
    static final Path SCRIPT = Manifests.k8s().resolve("overlays/local/create-secrets.sh");

    @TempDir
    Path bin;

    /** Secret name → (key → value), from the recorded `kubectl create secret generic` calls. */
    Map<String, Map<String, String>> run(boolean secretsExist) throws Exception {
        Path log = bin.resolve("kubectl.log");
        Files.deleteIfExists(log);
        Path kubectl = bin.resolve("kubectl");
        Files.writeString(kubectl, """
                #!/usr/bin/env bash
                (IFS=$'\\x1f'; printf '%s\\n' "$*") >> "$KUBECTL_LOG"
                if [ "$3" = get ] || [ "$1" = get ]; then exit "$GET_EXIT"; fi
                exit 0
                """);
        Files.setPosixFilePermissions(kubectl, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString()).redirectErrorStream(true);
        builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        builder.environment().put("KUBECTL_LOG", log.toString());
        builder.environment().put("GET_EXIT", secretsExist ? "0" : "1");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);

        Map<String, Map<String, String>> secrets = new LinkedHashMap<>();
        for (String line : Files.readAllLines(log)) {
            List<String> args = List.of(line.split("\u001f"));
            int create = args.indexOf("create");
            if (create < 0 || !args.get(create + 1).equals("secret")) {
                continue;
            }
            assertEquals(List.of("-n", "text-to-image"), args.subList(0, 2));
            Map<String, String> keys = new LinkedHashMap<>();
            args.stream().filter(a -> a.startsWith("--from-literal=")).map(a -> a.substring("--from-literal=".length()))
                    .forEach(kv -> keys.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1)));
            secrets.put(args.get(create + 3), keys);
        }
        return secrets;
    }

    @Test
    void createsEverySecretTheLocalManifestsReadWithRandomValues() throws Exception {
        Map<String, Map<String, String>> first = run(false);
        Map<String, Map<String, String>> second = run(false);

        assertEquals(List.of("t2i-postgresql", "t2i-rabbitmq", "t2i-s3", "t2i-service-token", "t2i-gateway-auth"),
                List.copyOf(first.keySet()));
        first.forEach((name, keys) -> assertEquals(ManifestRenderingTest.EXTERNAL_SECRETS.get(name), keys.keySet(), name));
        for (String[] secret : new String[][] {{"t2i-postgresql", "password"}, {"t2i-rabbitmq", "password"}, {"t2i-s3", "secret-key"},
                {"t2i-service-token", "token"}, {"t2i-gateway-auth", "secret"}, {"t2i-gateway-auth", "bootstrap-admin-key"}}) {
            String value = first.get(secret[0]).get(secret[1]);
            assertTrue(value.length() >= 16, secret[0] + " " + secret[1] + " is too short: " + value.length());
            assertNotEquals(value, second.get(secret[0]).get(secret[1]), "two runs made the same " + secret[0]);
        }
        // The gateway refuses to start with an authentication secret or bootstrap admin key under 32 characters.
        first.get("t2i-gateway-auth").forEach((key, value) -> assertTrue(value.length() >= 32,
                "t2i-gateway-auth " + key + " is too short for the gateway: " + value.length()));

        // KEDA's management URI carries the same RabbitMQ user and password, towards the in-cluster service.
        Map<String, String> rabbit = first.get("t2i-rabbitmq");
        URI management = URI.create(rabbit.get("management-uri"));
        assertEquals(rabbit.get("username") + ":" + rabbit.get("password"), management.getUserInfo());
        assertEquals("/", management.getPath());
        Service service = Manifests.overlay("local").get(Service.class, management.getHost().split("\\.")[0]);
        assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == management.getPort()),
                "the local rabbitmq Service has no port " + management.getPort());
    }

    @Test
    void keepsSecretsThatAlreadyExist() throws Exception {
        assertEquals(Map.of(), run(true));
    }

    @Test
    void isExecutable() throws IOException {
        assertTrue(Files.isExecutable(SCRIPT));
    }
}
