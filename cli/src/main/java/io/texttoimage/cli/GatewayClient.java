package io.texttoimage.cli;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/** A small blocking client for the gateway's public REST API (java.net.http, no framework). */
public final class GatewayClient {

    public static final String DEFAULT_URL = "http://localhost:8080";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI baseUrl;
    private final HttpClient http;
    private final ApiKey apiKey;

    /** A client that sends no credential (a gateway with authentication off). */
    public GatewayClient(URI baseUrl) {
        this(baseUrl, ApiKey.NONE);
    }

    /** A client that sends {@code apiKey} as {@code Authorization: Bearer} to the gateway, never to image URLs. */
    public GatewayClient(URI baseUrl, ApiKey apiKey) {
        this.apiKey = apiKey == null ? ApiKey.NONE : apiKey;
        String text = baseUrl.toString();
        this.baseUrl = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        if (this.baseUrl.getScheme() == null || this.baseUrl.getHost() == null) {
            throw new CliException(ExitCodes.USAGE, "The gateway URL '" + baseUrl + "' is not an http(s) URL: pass --url http://host:port.");
        }
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    public URI baseUrl() {
        return baseUrl;
    }

    public ApiKey apiKey() {
        return apiKey;
    }

    public Api.JobRecord submit(Api.GenerateRequest request) {
        byte[] body;
        try {
            body = Api.JSON.writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot serialise the request", e);
        }
        HttpRequest httpRequest = gatewayRequest("/generated-images").timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return read(send(httpRequest), Api.JobRecord.class);
    }

    public Api.JobRecord get(String id) {
        return read(send(jsonGet("/generated-images/" + encode(id))), Api.JobRecord.class);
    }

    public Api.JobPage list(int page, int size) {
        return read(send(jsonGet("/generated-images?page=" + page + "&size=" + size)), Api.JobPage.class);
    }

    public Api.JobRecord cancel(String id) {
        HttpRequest request = gatewayRequest("/generated-images/" + encode(id)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json").DELETE().build();
        return read(send(request), Api.JobRecord.class);
    }

    public Api.ImageUrls imageUrls(String id) {
        return read(send(jsonGet("/generated-images/" + encode(id) + "/url")), Api.ImageUrls.class);
    }

    /**
     * Opens the job's event stream; the caller reads it with {@link SseReader} and closes it.
     *
     * @param lastEventId resume after this event id, or null for the whole stream
     */
    public InputStream openEvents(String id, String lastEventId) {
        HttpRequest.Builder request = gatewayRequest("/generated-images/" + encode(id) + "/events")
                .header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> response = exchange(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            byte[] body = readQuietly(response.body());
            throw failure(response, body);
        }
        return response.body();
    }

    // ---- admin: API keys (admin callers only) ---------------------------------------------------------------------

    public Api.ApiKeyRecord createKey(Api.CreateKeyRequest request) {
        byte[] body;
        try {
            body = Api.JSON.writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot serialise the request", e);
        }
        HttpRequest httpRequest = gatewayRequest("/admin/api-keys").timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return read(send(httpRequest), Api.ApiKeyRecord.class);
    }

    public Api.ApiKeyList listKeys() {
        return read(send(jsonGet("/admin/api-keys")), Api.ApiKeyList.class);
    }

    public Api.ApiKeyRecord revokeKey(String id) {
        HttpRequest request = gatewayRequest("/admin/api-keys/" + encode(id)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json").DELETE().build();
        return read(send(request), Api.ApiKeyRecord.class);
    }

    /**
     * Downloads a (signed) image URL to {@code target}, atomically: a partial file never has the final name. No
     * credential: the URL's signature is the permission, and the key must not travel to the storage.
     */
    public Path download(URI url, Path target) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(5)).GET().build();
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            Path partial = target.resolveSibling(target.getFileName() + ".part");
            HttpResponse<Path> response = exchange(request, HttpResponse.BodyHandlers.ofFile(partial));
            if (response.statusCode() != 200) {
                byte[] body = Files.readAllBytes(partial);
                Files.deleteIfExists(partial);
                throw new CliException(ExitCodes.UNREACHABLE, "Downloading " + url.getPath() + " failed with HTTP "
                        + response.statusCode() + " (" + snippet(body) + "): the signed URL may have expired, run `t2i download "
                        + "<id>` for fresh ones.");
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new CliException(ExitCodes.JOB_FAILED, "Cannot save " + target + ": " + e.getMessage(), null, e);
        }
    }

    // ---- plumbing ------------------------------------------------------------------------------------------------

    private HttpRequest jsonGet(String path) {
        return gatewayRequest(path).timeout(REQUEST_TIMEOUT).header("Accept", "application/json").GET().build();
    }

    /** A request to the gateway itself, with the credential when there is one. */
    private HttpRequest.Builder gatewayRequest(String pathAndQuery) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(pathAndQuery));
        if (apiKey.present()) {
            builder.header("Authorization", "Bearer " + apiKey.value());
        }
        return builder;
    }

    private URI uri(String pathAndQuery) {
        return URI.create(baseUrl + pathAndQuery);
    }

    private static String encode(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpResponse<byte[]> send(HttpRequest request) {
        HttpResponse<byte[]> response = exchange(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() / 100 != 2) {
            throw failure(response, response.body());
        }
        return response;
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNREACHABLE, "Interrupted while waiting for " + request.uri(), null, e);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw unreachable(e);
        } catch (InterruptedIOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "The gateway at " + baseUrl + " did not answer in time ("
                    + e.getMessage() + "): check that it is healthy.", null, e);
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    CliException unreachable(IOException e) {
        String reason = e.getMessage() != null ? e.getMessage()
                : e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
        return new CliException(ExitCodes.UNREACHABLE, "Cannot reach the gateway at " + baseUrl + " (" + reason
                + "): start it, or pass --url / set T2I_URL to a running gateway.", null, e);
    }

    /** Maps an HTTP error to an exit code and the server's problem detail. */
    private CliException failure(HttpResponse<?> response, byte[] body) {
        int status = response.statusCode();
        Api.Problem problem = parseProblem(body);
        String detail = problem != null ? problem.describe() : snippet(body);
        int exitCode = switch (status) {
            case 400, 401, 403, 422, 429 -> ExitCodes.USAGE;
            case 404 -> ExitCodes.NOT_FOUND;
            case 409 -> ExitCodes.JOB_FAILED;
            default -> status >= 500 ? ExitCodes.UNREACHABLE : ExitCodes.USAGE;
        };
        String message = switch (status) {
            case 400, 422 -> "The gateway rejected the request: " + detail;
            case 401 -> unauthorized(detail);
            case 403 -> "This needs an admin key (" + detail.replaceFirst("\\.$", "") + "), and the key from " + apiKey.source()
                    + " is not one: pass an admin key with --api-key (bin/text-to-image writes one to"
                    + " <checkout>/.t2i/" + ApiKey.ADMIN_KEY_FILE + ").";
            case 404 -> "Not found: " + detail;
            case 409 -> "Not possible in the job's current state: " + detail;
            case 429 -> "Over a quota: " + detail + response.headers().firstValue("Retry-After")
                    .map(seconds -> " (try again in " + seconds + " s)").orElse("");
            default -> "The gateway answered HTTP " + status + " for " + response.uri().getPath() + ": " + detail;
        };
        return new CliException(exitCode, message, problem, null);
    }

    private String unauthorized(String problemDetail) {
        String detail = problemDetail.endsWith(".") ? problemDetail.substring(0, problemDetail.length() - 1) : problemDetail;
        if (!apiKey.present()) {
            return "The gateway wants an API key: pass --api-key or set " + ApiKey.ENV + " (" + detail + ").";
        }
        return "The gateway refused the API key from " + apiKey.source() + " (" + detail + "): pass a valid one with"
                + " --api-key or set " + ApiKey.ENV + ".";
    }

    private static Api.Problem parseProblem(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            Api.Problem problem = Api.JSON.readValue(body, Api.Problem.class);
            return problem.detail() != null || problem.title() != null ? problem : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String snippet(byte[] body) {
        if (body == null || body.length == 0) {
            return "no details";
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    private static byte[] readQuietly(InputStream in) {
        try (in) {
            return in.readNBytes(64 * 1024);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static <T> T read(HttpResponse<byte[]> response, Class<T> type) {
        try {
            return Api.JSON.readValue(response.body(), type);
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "The gateway sent a response t2i cannot read (" + e.getMessage()
                    + ") for " + response.uri().getPath() + ": check that --url points at a text-to-image gateway.", null, e);
        }
    }
}
