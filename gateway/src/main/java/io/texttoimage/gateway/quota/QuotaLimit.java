package io.texttoimage.gateway.quota;

/** The limits a submission can run into; {@link #apiName()} is the 429 problem's {@code limit} member. */
public enum QuotaLimit {
    ACTIVE_JOBS("active_jobs"),
    SUBMISSIONS_PER_MINUTE("submissions_per_minute"),
    IMAGES_PER_DAY("images_per_day");

    private final String apiName;

    QuotaLimit(String apiName) {
        this.apiName = apiName;
    }

    public String apiName() {
        return apiName;
    }
}
