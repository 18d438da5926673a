package io.texttoimage.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The two Hub endpoints the client reads before it downloads anything: the revision listing (which commit a
 * revision is, and its files with sizes and checksums) and the resolve endpoint's HEAD (the blob a file is and where
 * its bytes are), the same calls huggingface_hub makes.
 */
final class HubApiClient {

    private static final System.Logger LOG = System.getLogger(HubApiClient.class.getName());

    /** A file of the listing: LFS files carry their sha256, files kept in git itself their git blob id. */
    record RepoFile(String path, long size, String sha256, String blobId) {
        boolean isLfs() {
            return sha256 != null;
        }
    }

    record RepoListing(String commit, List<RepoFile> files) {
        List<String> paths() {
            return files.stream().map(RepoFile::path).toList();
        }
    }

    /** What the resolve endpoint says about a file: its blob name, size, commit, and where to GET it. */
    record FileMetadata(String etag, long size, String commit, URI downloadUri) {
    }

    private final HubSettings settings;
    private final HubHttp http;
    private final ObjectMapper json = new ObjectMapper();

    HubApiClient(HubSettings settings, HubHttp http) {
        this.settings = settings;
        this.http = http;
    }

    /** {@code GET /api/models/{repo}/revision/{revision}?blobs=true}. */
    RepoListing listing(String repoId, String revision) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + repoId + "/revision/" + encode(revision) + "?blobs=true");
        HttpResponse<byte[]> response = http.get(uri);
        if (response.statusCode() != 200) {
            throw http.httpError(response, repoId, revision, null);
        }
        JsonNode root = json.readTree(response.body());
        String commit = root.path("sha").asText(null);
        if (!ModelReference.isCommitHash(commit)) {
            throw new HubException(HubException.Reason.SERVER_ERROR, "The Hub at " + settings.endpoint()
                    + " answered without a commit hash for " + repoId + ": check HF_ENDPOINT points at a Hugging Face Hub.");
        }
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode sibling : root.path("siblings")) {
            JsonNode lfs = sibling.path("lfs");
            String sha256 = lfs.isObject() ? lfs.path("sha256").asText(null) : null;
            long size = lfs.isObject() ? lfs.path("size").asLong(-1) : sibling.path("size").asLong(-1);
            files.add(new RepoFile(sibling.path("rfilename").asText(), size, sha256, sibling.path("blobId").asText(null)));
        }
        return new RepoListing(commit, files);
    }

    /**
     * {@code HEAD {endpoint}/{repo}/resolve/{commit}/{path}}. Relative redirects (a renamed repo) are asked again; an
     * absolute one is an LFS file on the CDN, whose URL is where its bytes are.
     */
    FileMetadata fileMetadata(String repoId, String commit, RepoFile file) throws IOException {
        URI resolveUri = resolveUri(repoId, commit, file.path());
        URI uri = resolveUri;
        for (int redirect = 0; redirect <= HubHttp.MAX_REDIRECTS; redirect++) {
            HttpRequest request = http.request(uri, HubHttp.METADATA_TIMEOUT)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Accept-Encoding", "identity").build();
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            Optional<String> location = HubHttp.redirectLocation(response);
            if (location.isPresent()) {
                URI target = uri.resolve(location.get());
                if (URI.create(location.get()).getHost() == null) {
                    uri = target; // relative: a renamed repo on the Hub itself, ask again
                    continue;
                }
                return checked(repoId, commit, file, metadata(response, file, target));
            }
            if (response.statusCode() == 200) {
                return checked(repoId, commit, file, metadata(response, file, uri));
            }
            throw http.httpError(response, repoId, commit, file.path());
        }
        throw new HubException(HubException.Reason.SERVER_ERROR, "Too many redirects for " + resolveUri
                + ": check HF_ENDPOINT and any proxy in between.");
    }

    private static FileMetadata metadata(HttpResponse<?> response, RepoFile file, URI downloadUri) {
        var headers = response.headers();
        String etag = headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag"))
                .map(HubApiClient::normalizeEtag).orElse(null);
        if (etag == null) {
            etag = file.isLfs() ? file.sha256() : file.blobId();
        }
        long size = headers.firstValue("X-Linked-Size").or(() -> headers.firstValue("Content-Length"))
                .map(Long::parseLong).orElse(file.size());
        String commit = headers.firstValue("X-Repo-Commit").orElse(null);
        return new FileMetadata(etag, size, commit, downloadUri);
    }

    /** The ETag names the blob file in the cache: it must be a plain file name. */
    private static FileMetadata checked(String repoId, String commit, RepoFile file, FileMetadata metadata)
            throws HubException {
        if (metadata.commit() != null && !metadata.commit().equals(commit)) {
            LOG.log(Level.WARNING, "{0}: the Hub served commit {1} instead of {2}", file.path(), metadata.commit(), commit);
        }
        if (metadata.etag() == null || metadata.etag().isBlank() || metadata.etag().contains("/")) {
            throw new HubException(HubException.Reason.SERVER_ERROR, "The Hub sent no usable ETag for " + file.path()
                    + " of " + repoId + ": check HF_ENDPOINT points at a Hugging Face Hub and retry.");
        }
        return metadata;
    }

    static String normalizeEtag(String etag) {
        String value = etag.trim();
        if (value.startsWith("W/")) {
            value = value.substring(2);
        }
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        return value;
    }

    private URI resolveUri(String repoId, String commit, String path) {
        StringBuilder encodedPath = new StringBuilder();
        for (String segment : path.split("/")) {
            if (!encodedPath.isEmpty()) {
                encodedPath.append('/');
            }
            encodedPath.append(encode(segment));
        }
        return URI.create(settings.endpoint() + "/" + repoId + "/resolve/" + encode(commit) + "/" + encodedPath);
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
