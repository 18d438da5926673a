package io.texttoimage.gateway.auth;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;

/**
 * An RSA key pair made for this test run, so no key file is committed: the gateway verifies JWTs with its public
 * half ({@code mp.jwt.verify.publickey}); the tests sign with the private half, which they read from the
 * configuration as {@value #PRIVATE_KEY}.
 */
public class JwtSigningKeys implements QuarkusTestResourceLifecycleManager {
    static final String PRIVATE_KEY = "t2i.test.jwt-private-key";
    static final String ISSUER = "https://issuer.test.texttoimage.io";

    @Override
    public Map<String, String> start() {
        KeyPair pair = rsaKeyPair();
        Base64.Encoder base64 = Base64.getEncoder();
        return Map.of("mp.jwt.verify.publickey", base64.encodeToString(pair.getPublic().getEncoded()),
                "mp.jwt.verify.issuer", ISSUER,
                PRIVATE_KEY, base64.encodeToString(pair.getPrivate().getEncoded()));
    }

    static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has RSA", e);
        }
    }

    @Override
    public void stop() {
    }
}
