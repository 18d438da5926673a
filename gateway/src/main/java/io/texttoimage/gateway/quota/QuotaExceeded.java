package io.texttoimage.gateway.quota;

/**
 * A submission refused by a quota: answered 429 ({@link QuotaProblems}) with the limit, its value and when to retry.
 *
 * @see OwnerQuotas
 */
public class QuotaExceeded extends RuntimeException {
    private final QuotaLimit limit;
    private final int max;
    private final long retryAfterSeconds;

    QuotaExceeded(QuotaLimit limit, int max, long retryAfterSeconds, String detail) {
        super(detail);
        this.limit = limit;
        this.max = max;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public QuotaLimit limit() {
        return limit;
    }

    public int max() {
        return max;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
