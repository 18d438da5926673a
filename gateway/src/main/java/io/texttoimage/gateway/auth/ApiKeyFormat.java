package io.texttoimage.gateway.auth;

import java.util.regex.Pattern;

/** What an API key looks like: {@code t2i_} and the unpadded base64url of 32 bytes (43 characters). */
final class ApiKeyFormat {
    static final String PREFIX = "t2i_";
    private static final Pattern KEY = Pattern.compile(Pattern.quote(PREFIX) + "[A-Za-z0-9_-]{43}");

    private ApiKeyFormat() {
    }

    /** Whether the credential is meant as an API key (it has the prefix), well-formed or not. */
    static boolean claims(String credential) {
        return credential.startsWith(PREFIX);
    }

    static boolean isWellFormed(String credential) {
        return KEY.matcher(credential).matches();
    }
}
