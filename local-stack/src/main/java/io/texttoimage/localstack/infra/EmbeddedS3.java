package io.texttoimage.localstack.infra;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * An in-process S3Proxy on loopback whose buckets are folders under {@code baseDir} (jclouds "filesystem"
 * backend), so images survive a restart. It checks SigV4 signatures, headers and presigned query strings alike,
 * which keeps the storage adapter's signed URLs honest.
 */
public final class EmbeddedS3 implements AutoCloseable {
    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final Endpoints.S3 endpoint;

    private EmbeddedS3(S3Proxy proxy, BlobStoreContext context, Endpoints.S3 endpoint) {
        this.proxy = proxy;
        this.context = context;
        this.endpoint = endpoint;
    }

    public static EmbeddedS3 start(Path baseDir, int port, String accessKey, String secretKey) throws Exception {
        return start(baseDir, "127.0.0.1", port, accessKey, secretKey);
    }

    /**
     * The same on {@code host} (an address of this machine: the chaos suite serves its network namespaces from a
     * bridge address); started again on the same folder and port after {@link #close()}, it serves what it stored.
     */
    public static EmbeddedS3 start(Path baseDir, String host, int port, String accessKey, String secretKey) throws Exception {
        Files.createDirectories(baseDir);
        Properties overrides = new Properties();
        overrides.setProperty("jclouds.filesystem.basedir", baseDir.toAbsolutePath().toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem")
                .credentials(accessKey, secretKey)
                .overrides(overrides)
                .buildView(BlobStoreContext.class);
        URI uri = URI.create("http://" + host + ":" + port);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(uri)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        try {
            proxy.start();
            waitUntilStarted(proxy);
        } catch (Exception e) {
            context.close();
            throw e;
        }
        URI actual = URI.create("http://" + host + ":" + proxy.getPort());
        return new EmbeddedS3(proxy, context, new Endpoints.S3(actual, accessKey, secretKey, "us-east-1", "embedded S3Proxy"));
    }

    private static void waitUntilStarted(S3Proxy proxy) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start within 30 s (state " + proxy.getState() + ")");
            }
            Thread.sleep(10);
        }
    }

    public Endpoints.S3 endpoint() {
        return endpoint;
    }

    @Override
    public void close() throws Exception {
        try {
            proxy.stop();
        } finally {
            context.close();
        }
    }
}
