package io.texttoimage.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * HTTP to the Hub and to the CDN it redirects large files to. The token goes only to the Hub's own origin
 * ({@code HF_ENDPOINT}), so redirects are followed by hand, deciding for every hop; failures to connect and error
 * statuses become {@link HubException}s that say what to do.
 */
final class HubHttp {

    static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);
    static final int MAX_REDIRECTS = 5;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final HubSettings settings;
    private final HttpClient client;

    HubHttp(HubSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand: the token must not reach a CDN
                .connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    /** A request with our User-Agent, and the token when {@code uri} is on the Hub itself; no timeout if null. */
    HttpRequest.Builder request(URI uri, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).header("User-Agent", "text-to-image-hub-client/0.1");
        if (timeout != null) {
            builder.timeout(timeout);
        }
        if (settings.token() != null && sameOrigin(uri, settings.endpoint())) {
            builder.header("Authorization", "Bearer " + settings.token());
        }
        return builder;
    }

    /** A GET of a small answer (the API), following redirects. */
    HttpResponse<byte[]> get(URI uri) throws IOException {
        HttpResponse<byte[]> response = followRedirects(uri, current -> request(current, METADATA_TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (redirectLocation(response).isPresent()) {
            throw new HubException(HubException.Reason.SERVER_ERROR, "Too many redirects for " + uri
                    + ": check HF_ENDPOINT and any proxy in between.");
        }
        return response;
    }

    /**
     * A streamed GET of file contents from byte {@code from} on ({@code Range} when above zero), following redirects.
     * After too many redirects the last one is returned, for the caller's status check to report.
     */
    HttpResponse<InputStream> download(URI uri, long from) throws IOException {
        return followRedirects(uri, current -> {
            HttpRequest.Builder builder = request(current, null).GET().header("Accept-Encoding", "identity");
            if (from > 0) {
                builder.header("Range", "bytes=" + from + "-");
            }
            return builder.build();
        }, HttpResponse.BodyHandlers.ofInputStream());
    }

    private <T> HttpResponse<T> followRedirects(URI uri, Function<URI, HttpRequest> requestFor,
                                                HttpResponse.BodyHandler<T> handler) throws IOException {
        URI current = uri;
        HttpResponse<T> response = null;
        for (int redirect = 0; redirect <= MAX_REDIRECTS; redirect++) {
            response = send(requestFor.apply(current), handler);
            Optional<String> location = redirectLocation(response);
            if (location.isEmpty()) {
                return response;
            }
            if (response.body() instanceof InputStream body) {
                body.close();
            }
            current = current.resolve(location.get());
        }
        return response;
    }

    /** The Location of a 3xx answer that has one. */
    static Optional<String> redirectLocation(HttpResponse<?> response) {
        int status = response.statusCode();
        return status >= 300 && status < 400 ? response.headers().firstValue("Location") : Optional.empty();
    }

    <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return client.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("Interrupted while talking to " + request.uri());
        } catch (IOException e) {
            if (isUnreachable(e)) {
                throw unreachable(e);
            }
            throw e;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Whether {@code e} means the server cannot be reached at all, as opposed to a connection that broke. */
    static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnresolvedAddressException
                    || t instanceof HttpConnectTimeoutException || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }

    HubException unreachable(Throwable cause) {
        return new HubException(HubException.Reason.NETWORK, "Cannot reach the Hugging Face Hub at " + settings.endpoint()
                + " (" + cause + "): check your network connection or proxy (HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use"
                + " the models already in the cache.", cause);
    }

    /**
     * The HubException for an error status, told apart by the Hub's {@code X-Error-Code} where it sends one.
     *
     * @param repoId   the repo asked about, or null for a file download
     * @param revision the revision asked about, or null
     * @param path     the file asked about, or null for the listing
     */
    HubException httpError(HttpResponse<?> response, String repoId, String revision, String path) {
        int status = response.statusCode();
        String errorCode = response.headers().firstValue("X-Error-Code").orElse("");
        String serverMessage = response.headers().firstValue("X-Error-Message").map(m -> " (" + m + ")").orElse("");
        String what = repoId == null ? path : repoId + (path == null ? "" : "/" + path);
        if ("RepoNotFound".equals(errorCode) || (status == 404 && path == null && !"RevisionNotFound".equals(errorCode)
                && !"EntryNotFound".equals(errorCode))) {
            return new HubException(HubException.Reason.NOT_FOUND, "Repository " + repoId + " (or revision '" + revision
                    + "') was not found on " + settings.endpoint() + serverMessage + ": check the repo id and revision,"
                    + " and set HF_TOKEN if the repo is private.");
        }
        if ("RevisionNotFound".equals(errorCode)) {
            return new HubException(HubException.Reason.NOT_FOUND, "Revision '" + revision + "' of " + repoId
                    + " does not exist" + serverMessage + ": check the branch, tag or commit hash.");
        }
        if (status == 401 || status == 403) {
            String hint = settings.token() == null
                    ? "the repo is gated or private: accept its terms on the Hub and set HF_TOKEN to a read token."
                    : "the token in HF_TOKEN was rejected or has no access: check it and that you accepted the repo's terms.";
            return new HubException(HubException.Reason.UNAUTHORIZED, "Access to " + what + " was refused (HTTP " + status
                    + ")" + serverMessage + ": " + hint);
        }
        if (status == 404) {
            return new HubException(HubException.Reason.NOT_FOUND, what + " was not found (HTTP 404)" + serverMessage
                    + ": check the repo id and revision.");
        }
        return new HubException(HubException.Reason.SERVER_ERROR, "The Hub answered HTTP " + status + " for " + what
                + serverMessage + ": retry later, or set HF_HUB_OFFLINE=1 to use the cache.");
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
