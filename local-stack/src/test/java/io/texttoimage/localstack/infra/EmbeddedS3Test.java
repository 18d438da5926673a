package io.texttoimage.localstack.infra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minio.BucketExistsArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.http.Method;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class EmbeddedS3Test {

    @Test
    void storesObjectsOnDiskServesPresignedUrlsAndKeepsThemAcrossRestarts() throws Exception {
        Path dir = TestDirs.fresh("s3");
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};
        int port = Ports.free();
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir, port, "local-key", "local-secret")) {
            MinioClient client = client(s3.endpoint());
            client.makeBucket(MakeBucketArgs.builder().bucket("images").build());
            client.putObject(PutObjectArgs.builder().bucket("images").object("a/0.png")
                    .stream(new ByteArrayInputStream(png), png.length, -1).contentType("image/png").build());
        }
        assertTrue(Files.isDirectory(dir.resolve("images")), "bucket is not a folder under the data dir");
        assertTrue(Ports.isFree(port));

        try (EmbeddedS3 s3 = EmbeddedS3.start(dir, port, "local-key", "local-secret")) {
            MinioClient client = client(s3.endpoint());
            assertTrue(client.bucketExists(BucketExistsArgs.builder().bucket("images").build()));
            String url = client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                    .method(Method.GET).bucket("images").object("a/0.png").expiry(600).build());
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, ok.statusCode());
            assertArrayEquals(png, ok.body());

            String tampered = url.replace("a/0.png", "a/1.png");
            HttpResponse<byte[]> refused = http.send(HttpRequest.newBuilder(URI.create(tampered)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(403, refused.statusCode(), "a URL whose signature does not match must be refused");
        }
    }

    private static MinioClient client(Endpoints.S3 endpoint) {
        return MinioClient.builder().endpoint(endpoint.endpoint().toString())
                .credentials(endpoint.accessKey(), endpoint.secretKey()).region(endpoint.region()).build();
    }
}
