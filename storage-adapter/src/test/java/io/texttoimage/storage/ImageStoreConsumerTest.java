package io.texttoimage.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.messages.Item;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.texttoimage.broker.StoreImageHeaders;
import io.texttoimage.contracts.ImageStored;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The storage side of the job flow against the real RabbitMQ and an in-process S3Proxy. */
@QuarkusTest
@QuarkusTestResource(value = StorageTestResource.class, restrictToAnnotatedClass = false)
class ImageStoreConsumerTest {
    /** Health and metrics are on the management interface, not on the API's port. */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;


    @Inject
    ObjectMapper json;

    private GeneratorSide generator;
    private MinioClient s3;

    @BeforeEach
    void connect() throws Exception {
        generator = new GeneratorSide(json);
        s3 = MinioClient.builder().endpoint(StorageTestResource.s3.endpoint())
                .credentials(StorageTestResource.s3.accessKey(), StorageTestResource.s3.secretKey()).build();
    }

    @AfterEach
    void disconnect() throws Exception {
        generator.close();
    }

    @Test
    void storesPngWithContentTypeAndMetadataThenNotifies() throws Exception {
        UUID jobId = UUID.randomUUID();
        byte[] png = TestImages.png(16, 8, 1);

        generator.publish(jobId, 0, 1, png);

        ImageStored stored = generator.awaitStored(jobId);
        assertNull(stored.error());
        assertEquals(ImageStored.keyOf(jobId, 0), stored.key());
        assertEquals(0, stored.index());
        assertEquals(png.length, stored.sizeBytes());

        StatObjectResponse stat = s3.statObject(StatObjectArgs.builder()
                .bucket(StorageTestResource.BUCKET).object(stored.key()).build());
        assertEquals("image/png", stat.contentType());
        assertEquals(jobId.toString(), stat.userMetadata().get("job-id"));
        assertEquals("0", stat.userMetadata().get("image-index"));
        try (InputStream in = s3.getObject(GetObjectArgs.builder()
                .bucket(StorageTestResource.BUCKET).object(stored.key()).build())) {
            assertArrayEquals(png, in.readAllBytes());
        }
        generator.assertQueueDrained();
    }

    @Test
    void redeliveryOverwritesTheSameKeyWithoutDuplicates() throws Exception {
        UUID jobId = UUID.randomUUID();
        byte[] first = TestImages.png(8, 8, 2);
        byte[] retry = TestImages.png(8, 8, 3);

        generator.publish(jobId, 1, 2, first);
        assertNull(generator.awaitStored(jobId).error());
        generator.publish(jobId, 1, 2, retry);
        ImageStored again = generator.awaitStored(jobId);
        assertNull(again.error());

        List<String> keys = new ArrayList<>();
        for (Result<Item> item : s3.listObjects(ListObjectsArgs.builder().bucket(StorageTestResource.BUCKET)
                .prefix("images/" + jobId + "/").recursive(true).build())) {
            keys.add(item.get().objectName());
        }
        assertEquals(List.of(ImageStored.keyOf(jobId, 1)), keys);
        try (InputStream in = s3.getObject(GetObjectArgs.builder()
                .bucket(StorageTestResource.BUCKET).object(again.key()).build())) {
            assertArrayEquals(retry, in.readAllBytes(), "the retry's bytes replace the first write");
        }
    }

    @Test
    void bodyThatIsNotAPngIsRejectedWithAReasonAndNotRequeued() throws Exception {
        UUID jobId = UUID.randomUUID();
        generator.publish(jobId, 0, 1, "{\"not\":\"an image\"}".getBytes());

        ImageStored stored = generator.awaitStored(jobId);
        assertNotNull(stored.error());
        assertTrue(stored.error().contains("not a PNG"), stored.error());
        assertEquals(0, stored.sizeBytes());
        generator.assertQueueDrained();
        generator.assertNoFurtherNotification(jobId);
        given().auth().oauth2(StorageTestResource.GATEWAY_TOKEN).queryParam("key", ImageStored.keyOf(jobId, 0)).get("/signed-urls").then().statusCode(404);
    }

    @Test
    void missingHeaderIsRejectedWithAReason() throws Exception {
        UUID jobId = UUID.randomUUID();
        Map<String, Object> headers = GeneratorSide.headers(jobId, 0, 1);
        headers.remove(StoreImageHeaders.IMAGE_INDEX);
        generator.publish(headers, TestImages.png(8, 8, 4));

        ImageStored stored = generator.awaitStored(jobId);
        assertEquals("Header " + StoreImageHeaders.IMAGE_INDEX + " is missing.", stored.error());
        generator.assertQueueDrained();
        generator.assertNoFurtherNotification(jobId);
    }

    @Test
    void failedS3WriteIsRetriedUntilItSucceeds() throws Exception {
        // Delete the bucket behind the adapter's back: the first write fails, the requeued retry re-creates it.
        for (Result<Item> item : s3.listObjects(ListObjectsArgs.builder().bucket(StorageTestResource.BUCKET)
                .recursive(true).build())) {
            s3.removeObject(io.minio.RemoveObjectArgs.builder().bucket(StorageTestResource.BUCKET)
                    .object(item.get().objectName()).build());
        }
        s3.removeBucket(io.minio.RemoveBucketArgs.builder().bucket(StorageTestResource.BUCKET).build());
        UUID jobId = UUID.randomUUID();
        byte[] png = TestImages.png(8, 8, 5);

        generator.publish(jobId, 0, 1, png);

        ImageStored stored = generator.awaitStored(jobId);
        assertNull(stored.error(), "a transient S3 failure is retried, not reported as an error");
        try (InputStream in = s3.getObject(GetObjectArgs.builder()
                .bucket(StorageTestResource.BUCKET).object(stored.key()).build())) {
            assertArrayEquals(png, in.readAllBytes());
        }
        generator.assertQueueDrained();
        generator.assertNoFurtherNotification(jobId);
    }

    @Test
    void readinessReportsBucketAndBroker() throws Exception {
        assertTrue(s3.bucketExists(io.minio.BucketExistsArgs.builder().bucket(StorageTestResource.BUCKET).build()),
                "the adapter created its bucket at start");
        given().port(management.getPort()).get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 's3' }.data.bucket", equalTo(StorageTestResource.BUCKET));
    }
}
