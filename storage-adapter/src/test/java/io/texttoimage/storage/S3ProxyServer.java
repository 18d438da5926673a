package io.texttoimage.storage;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.URI;
import java.util.Properties;
import java.util.UUID;

/**
 * A real S3-compatible server in the test JVM: S3Proxy with jclouds' in-memory ("transient") backend, on a free
 * loopback port, requiring AWS SigV2/SigV4 authentication with a random access/secret key pair.
 * <pre>
 * try (S3ProxyServer s3 = S3ProxyServer.start()) {
 *     MinioClient client = MinioClient.builder().endpoint(s3.endpoint()).credentials(s3.accessKey(), s3.secretKey()).build();
 * }
 * </pre>
 * Copy it freely; it needs only the test dependency {@code org.gaul:s3proxy} (logback and Azure excluded).
 */
public final class S3ProxyServer implements AutoCloseable {

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final String accessKey;
    private final String secretKey;

    private S3ProxyServer(S3Proxy proxy, BlobStoreContext context, String accessKey, String secretKey) {
        this.proxy = proxy;
        this.context = context;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    public static S3ProxyServer start() {
        String accessKey = "test-" + UUID.randomUUID().toString().substring(0, 8);
        String secretKey = UUID.randomUUID().toString();
        BlobStoreContext context = ContextBuilder.newBuilder("transient")
                .credentials("unused", "unused")
                .overrides(new Properties())
                .build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .build();
        try {
            proxy.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
                }
                Thread.sleep(10);
            }
        } catch (Exception e) {
            context.close();
            throw new IllegalStateException("Could not start S3Proxy", e);
        }
        return new S3ProxyServer(proxy, context, accessKey, secretKey);
    }

    public int port() {
        return proxy.getPort();
    }

    /** {@code http://127.0.0.1:<port>}. The same server also answers as {@code http://localhost:<port>}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Could not stop S3Proxy", e);
        } finally {
            context.close();
        }
    }
}
