package io.texttoimage.cli;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Fetches a finished job's signed URLs and saves its images as {@code <out>/<job id>-<index>.png}. */
public final class Images {

    /** One image saved to disk, with the signed URL it came from. */
    public record SavedImage(int index, String key, String url, @JsonSerialize(using = ToStringSerializer.class) Path file) {
    }

    private Images() {
    }

    public static List<SavedImage> saveAll(GatewayClient client, String jobId, Path outDir) {
        Api.ImageUrls urls = client.imageUrls(jobId);
        List<SavedImage> saved = new ArrayList<>();
        if (urls.images() == null) {
            return saved;
        }
        for (Api.ImageUrl image : urls.images()) {
            URI url = client.baseUrl().resolve(image.url()); // absolute in practice; relative ones are the gateway's
            Path file = outDir.resolve(jobId + "-" + image.index() + ".png");
            client.download(url, file);
            saved.add(new SavedImage(image.index(), image.key(), image.url(), file));
        }
        return saved;
    }
}
