package io.texttoimage.localstack.service;

import java.io.IOException;

/**
 * A service reported a failure that waiting will not cure (its readiness check says so: the generator's
 * {@code model failed}), so the launcher stops at once instead of waiting out its timeout.
 */
public final class ServiceFailedException extends IOException {
    private final String service;
    private final String reason;

    /**
     * @param sentence what the service said, one sentence for a user
     * @param reason   the kind of failure the service reported (e.g. the Hub's {@code NETWORK}), or null
     */
    public ServiceFailedException(String service, String sentence, String reason) {
        super(sentence);
        this.service = service;
        this.reason = reason;
    }

    public String service() {
        return service;
    }

    public String reason() {
        return reason;
    }
}
