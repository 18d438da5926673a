package io.texttoimage.broker;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed server certificate for {@code localhost} only (no IP address in it), made with the JDK's keytool,
 * and a PKCS#12 trust store holding it.
 */
record TlsFixture(Path serverKeyStore, Path trustStore) {
    static final String SERVER_KEY_STORE_PASSWORD = "server-secret";
    static final String TRUST_STORE_PASSWORD = "trust-secret";
    private static final String ALIAS = "broker";

    static TlsFixture create(Path dir) throws Exception {
        Path serverKeyStore = dir.resolve("server.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", ALIAS,
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", serverKeyStore.toString(),
                "-storepass", SERVER_KEY_STORE_PASSWORD, "-keypass", SERVER_KEY_STORE_PASSWORD))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + output);
        }
        Path trustStore = dir.resolve("trust.p12");
        writeTrustStore(certificate(serverKeyStore), trustStore);
        return new TlsFixture(serverKeyStore, trustStore);
    }

    private static Certificate certificate(Path serverKeyStore) throws Exception {
        KeyStore server = KeyStore.getInstance(serverKeyStore.toFile(), SERVER_KEY_STORE_PASSWORD.toCharArray());
        return server.getCertificate(ALIAS);
    }

    private static void writeTrustStore(Certificate certificate, Path path) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry(ALIAS, certificate);
        try (OutputStream out = Files.newOutputStream(path)) {
            trust.store(out, TRUST_STORE_PASSWORD.toCharArray());
        }
    }
}
