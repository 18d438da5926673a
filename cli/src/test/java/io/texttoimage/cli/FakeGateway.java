package io.texttoimage.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback server speaking the gateway's public REST API over real HTTP: jobs, problem+json errors, an SSE
 * stream with comments, heartbeats, multi-line data, CRLF framing and Last-Event-ID resumption, and "signed" image
 * URLs on a separate storage path.
 */
final class FakeGateway implements AutoCloseable {

    /** How a job submitted to the fake ends. */
    enum Outcome { SUCCEED, FAIL, CANCEL, NEVER }

    record Request(String method, String pathAndQuery, String lastEventId, String body, String authorization) {
    }

    /** The two live previews a job submitted with previews gets, after steps 1 and 2 (stand-ins: bytes only). */
    static final byte[] PREVIEW_1 = {(byte) 0x89, 'P', 'N', 'G', 1};
    static final byte[] PREVIEW_2 = {(byte) 0x89, 'P', 'N', 'G', 2};

    static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 1, 2, 3};

    private final HttpServer server;
    private final Map<String, ObjectNode> jobs = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile Outcome outcome = Outcome.SUCCEED;
    /** When set, the first event stream of a job closes after this many events (no terminal one). */
    private volatile int dropStreamAfterEvents = -1;
    /** When set, this many reads of a finished job still say "running", like a gateway whose writer lags its stream. */
    private final java.util.concurrent.atomic.AtomicInteger staleFinishedReads = new java.util.concurrent.atomic.AtomicInteger();

    FakeGateway() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void outcome(Outcome next) {
        outcome = next;
    }

    void dropFirstStreamAfter(int events) {
        dropStreamAfterEvents = events;
    }

    /** When set, the worker "cuts" the prompts of jobs: RUNNING and the record from then on carry this truncation. */
    private volatile JsonNode promptTruncation;

    /** When set, a job's stream says its place in line twice while queued, and its time left on the first step. */
    void queueEvents() {
        queueEvents = true;
    }

    private volatile boolean queueEvents;

    void cutPrompts(JsonNode truncation) {
        promptTruncation = truncation;
    }

    void staleReadsOfFinishedJobs(int reads) {
        staleFinishedReads.set(reads);
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    ObjectNode job(String id) {
        return jobs.get(id);
    }

    /** Adds a job directly, as if another client had submitted it. */
    String addJob(String status) {
        ObjectNode job = newJob(Api.JSON.createObjectNode().put("prompt", "seeded job"));
        job.put("status", status);
        if (status.equals("succeeded")) {
            job.set("image_keys", Api.JSON.createArrayNode().add("images/" + job.get("id").asText() + "/0.png"));
            job.put("progress", 100);
        }
        return job.get("id").asText();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ---- authentication, as the contract has it ----------------------------------------------------------------

    /** Keys the fake accepts (key → admin?); empty: authentication is off, every request is let through. */
    private final Map<String, Boolean> acceptedKeys = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> apiKeys = new java.util.LinkedHashMap<>();

    /** Turns authentication on: {@code key} is accepted, as an admin key when {@code admin}. */
    void acceptKey(String key, boolean admin) {
        acceptedKeys.put(key, admin);
    }

    /** The stored API keys, as GET /admin/api-keys lists them. */
    synchronized List<ObjectNode> apiKeys() {
        return List.copyOf(apiKeys.values());
    }

    private boolean authorized(HttpExchange exchange, boolean adminPath) throws IOException {
        if (acceptedKeys.isEmpty()) {
            return !adminPath || forbidden(exchange); // auth off: nobody is an admin
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"text-to-image\"");
            problem(exchange, 401, "This gateway needs an API key: send it as 'Authorization: Bearer <key>'.", null);
            return false;
        }
        Boolean admin = acceptedKeys.get(header.substring("Bearer ".length()));
        if (admin == null) {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"text-to-image\", error=\"invalid_token\"");
            problem(exchange, 401, "Unknown API key.", null);
            return false;
        }
        return !adminPath || admin || forbidden(exchange);
    }

    private static boolean forbidden(HttpExchange exchange) throws IOException {
        problem(exchange, 403, "Only admin keys may use /admin.", null);
        return false;
    }

    private synchronized void apiKeys(HttpExchange exchange, String[] parts, String body) throws IOException {
        String method = exchange.getRequestMethod();
        if (parts.length == 2 && method.equals("POST")) {
            JsonNode request = Api.JSON.readTree(body);
            String name = request.path("name").asText("");
            if (name.isBlank()) {
                problem(exchange, 400, "The key request is invalid.", List.of(new Api.FieldError("name", "must not be blank")));
                return;
            }
            String id = UUID.randomUUID().toString();
            String key = "t2i_" + UUID.randomUUID().toString().replace("-", "") + "0123456789a";
            ObjectNode record = Api.JSON.createObjectNode().put("id", id).put("name", name)
                    .put("owner", request.path("owner").asText(name)).put("admin", request.path("admin").asBoolean(false))
                    .put("created_at", "2026-12-01T19:00:00.123456Z");
            record.set("expires_at", request.get("expires_at"));
            record.putNull("last_used_at").putNull("revoked_at");
            record.putObject("limits");
            apiKeys.put(id, record);
            acceptedKeys.put(key, record.get("admin").asBoolean());
            exchange.getResponseHeaders().add("Location", "/admin/api-keys/" + id);
            json(exchange, 201, record.deepCopy().put("key", key));
        } else if (parts.length == 2 && method.equals("GET")) {
            ObjectNode list = Api.JSON.createObjectNode();
            ArrayNode items = list.putArray("items");
            List<ObjectNode> newestFirst = new ArrayList<>(apiKeys.values());
            java.util.Collections.reverse(newestFirst);
            newestFirst.forEach(items::add);
            json(exchange, 200, list);
        } else if (parts.length == 3 && method.equals("DELETE") && apiKeys.containsKey(parts[2])) {
            ObjectNode record = apiKeys.get(parts[2]);
            if (record.get("revoked_at").isNull()) {
                record.put("revoked_at", "2026-12-01T20:00:00Z");
            }
            json(exchange, 200, record);
        } else {
            problem(exchange, 404, "No API key with id " + (parts.length > 2 ? parts[2] : "") + ".", null);
        }
    }

    // ---- routing -------------------------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        URI uri = exchange.getRequestURI();
        requests.add(new Request(exchange.getRequestMethod(), uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()),
                exchange.getRequestHeaders().getFirst("Last-Event-ID"), body,
                exchange.getRequestHeaders().getFirst("Authorization")));
        try (exchange) {
            String[] parts = uri.getPath().substring(1).split("/");
            String method = exchange.getRequestMethod();
            if (parts[0].equals("storage")) {
                send(exchange, 200, "image/png", PNG);
            } else if (!authorized(exchange, parts[0].equals("admin"))) {
                return; // answered 401 or 403
            } else if (parts[0].equals("admin") && parts.length > 1 && parts[1].equals("api-keys")) {
                apiKeys(exchange, parts, body);
            } else if (!parts[0].equals("generated-images")) {
                problem(exchange, 404, "No route " + uri.getPath(), null);
            } else if (parts.length == 1 && method.equals("POST")) {
                create(exchange, body);
            } else if (parts.length == 1 && method.equals("GET")) {
                list(exchange, uri.getQuery());
            } else {
                withJob(exchange, parts);
            }
        }
    }

    private void withJob(HttpExchange exchange, String[] parts) throws IOException {
        try {
            UUID.fromString(parts[1]);
        } catch (IllegalArgumentException e) {
            problem(exchange, 400, "'" + parts[1] + "' is not a valid job id.", null);
            return;
        }
        ObjectNode job = jobs.get(parts[1]);
        if (job == null) {
            problem(exchange, 404, "No generated image job with id " + parts[1] + ".", null);
            return;
        }
        String method = exchange.getRequestMethod();
        String tail = parts.length > 2 ? parts[2] : "";
        switch (method + " " + tail) {
            case "GET " -> json(exchange, 200, possiblyStale(job));
            case "DELETE " -> cancel(exchange, job);
            case "GET url" -> urls(exchange, job);
            case "GET events" -> events(exchange, job);
            default -> problem(exchange, 405, "Method not allowed.", null);
        }
    }

    private ObjectNode possiblyStale(ObjectNode job) {
        boolean finished = !job.path("status").asText().matches("queued|running");
        if (finished && staleFinishedReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            return job.deepCopy().put("status", "running");
        }
        return job;
    }

    private void create(HttpExchange exchange, String body) throws IOException {
        JsonNode request;
        try {
            request = Api.JSON.readTree(body);
        } catch (IOException e) {
            problem(exchange, 400, "The request body is not valid JSON.", null);
            return;
        }
        List<Api.FieldError> errors = new ArrayList<>();
        if (request.path("prompt").asText("").isBlank()) {
            errors.add(new Api.FieldError("prompt", "must not be blank"));
        }
        if (request.has("num_steps") && (request.get("num_steps").asInt() < 1 || request.get("num_steps").asInt() > 150)) {
            errors.add(new Api.FieldError("num_steps", "must be between 1 and 150"));
        }
        if (!errors.isEmpty()) {
            problem(exchange, 400, "The generation request is invalid.", errors);
            return;
        }
        ObjectNode job = newJob(request);
        exchange.getResponseHeaders().add("Location", "/generated-images/" + job.get("id").asText());
        json(exchange, 201, job);
    }

    private ObjectNode newJob(JsonNode request) {
        String id = UUID.randomUUID().toString();
        ObjectNode job = Api.JSON.createObjectNode();
        job.put("id", id).put("status", "queued").put("prompt", request.path("prompt").asText());
        job.set("negative_prompt", request.get("negative_prompt"));
        job.put("num_steps", request.path("num_steps").asInt(2)).put("guidance_scale", request.path("guidance_scale").asDouble(7.5));
        job.set("width", request.get("width"));
        job.set("height", request.get("height"));
        job.set("scheduler", request.get("scheduler"));
        job.put("seed", request.path("seed").asLong(4242L)).put("num_images", request.path("num_images").asInt(1));
        job.put("progress", 0).putNull("current_step").putNull("total_steps").putNull("error");
        job.set("image_keys", Api.JSON.createArrayNode());
        job.put("created_at", "2026-11-28T01:00:00Z").put("cancel_requested", false);
        job.putNull("prompt_truncation");
        job.put("previews", request.path("previews").asBoolean(false));
        jobs.put(id, job);
        return job;
    }

    private void list(HttpExchange exchange, String query) throws IOException {
        int page = intParam(query, "page", 0);
        int size = intParam(query, "size", 20);
        List<ObjectNode> all = new ArrayList<>(jobs.values());
        ArrayNode items = Api.JSON.createArrayNode();
        all.stream().skip((long) page * size).limit(size).forEach(items::add);
        ObjectNode result = Api.JSON.createObjectNode();
        result.set("items", items);
        result.put("page", page).put("size", size).put("total", all.size());
        json(exchange, 200, result);
    }

    private void cancel(HttpExchange exchange, ObjectNode job) throws IOException {
        if (Api.TERMINAL_STATUSES.contains(job.get("status").asText())) {
            problem(exchange, 409, "Job " + job.get("id").asText() + " is already " + job.get("status").asText() + ".", null);
            return;
        }
        job.put("cancel_requested", true);
        json(exchange, 202, job);
    }

    private void urls(HttpExchange exchange, ObjectNode job) throws IOException {
        if (!job.get("status").asText().equals("succeeded")) {
            problem(exchange, 409, "Job " + job.get("id").asText() + " is " + job.get("status").asText()
                    + "; images exist only once it succeeded.", null);
            return;
        }
        ObjectNode result = Api.JSON.createObjectNode().put("expires_at", "2026-11-28T02:00:00Z");
        ArrayNode images = result.putArray("images");
        int index = 0;
        for (JsonNode key : job.get("image_keys")) {
            images.addObject().put("index", index++).put("key", key.asText())
                    .put("url", url() + "/storage/" + key.asText() + "?X-Amz-Signature=abc123");
        }
        json(exchange, 200, result);
    }

    // ---- SSE -----------------------------------------------------------------------------------------------------

    /** The whole life of a job as SSE frames, written with deliberately varied framing. */
    private List<String> script(ObjectNode job) {
        String id = job.get("id").asText();
        List<String> frames = new ArrayList<>();
        frames.add("id: 1\nevent: queued\ndata: {\"id\":\"" + id + "\",\"status\":\"queued\",\"progress\":0,\"sequence\":1}\n\n");
        if (queueEvents) { // no id: notices do not move Last-Event-ID
            frames.add("event: queue\ndata: {\"id\":\"" + id + "\",\"status\":\"queued\",\"queue\":{\"position\":2,"
                    + "\"jobs_ahead\":1,\"live_workers\":2},\"estimate\":{\"start_at\":\"2026-12-01T12:00:05Z\","
                    + "\"finish_at\":\"2026-12-01T12:00:12Z\",\"remaining_seconds\":12.0}}\n\n");
            frames.add("event: queue\ndata: {\"id\":\"" + id + "\",\"status\":\"queued\",\"queue\":{\"position\":1,"
                    + "\"jobs_ahead\":0,\"live_workers\":2},\"estimate\":{\"start_at\":null,\"finish_at\":null,"
                    + "\"remaining_seconds\":null}}\n\n");
        }
        frames.add("id: 2\nevent: running\ndata: {\"id\":\"" + id + "\",\"status\":\"running\",\"step\":0,\"total_steps\":2,"
                + "\"progress\":0,\"sequence\":2,\"prompt_truncation\":" + promptTruncation + "}\n\n");
        // data split over two lines: the reader joins them with '\n', which is JSON whitespace
        frames.add("id: 3\nevent: progress\ndata: {\"id\":\"" + id + "\",\"status\":\"running\",\ndata: \"step\":1,"
                + "\"total_steps\":2,\"progress\":50,\"sequence\":3" + (queueEvents ? ",\"estimate\":{\"start_at\":"
                + "\"2026-12-01T12:00:05Z\",\"finish_at\":\"2026-12-01T12:03:10Z\",\"remaining_seconds\":185.0}" : "")
                + "}\n\n");
        switch (outcome) {
            case SUCCEED -> {
                frames.add("id: 4\r\nevent: progress\r\ndata: {\"id\":\"" + id + "\",\"status\":\"running\",\"step\":2,"
                        + "\"total_steps\":2,\"progress\":100,\"sequence\":4}\r\n\r\n");
                frames.add("id: 5\nevent: succeeded\ndata: {\"id\":\"" + id + "\",\"status\":\"succeeded\",\"progress\":100,"
                        + "\"image_keys\":[\"images/" + id + "/0.png\"],\"sequence\":5}\n\n");
            }
            case FAIL -> frames.add("id: 4\nevent: failed\ndata: {\"id\":\"" + id + "\",\"status\":\"failed\","
                    + "\"error\":\"CUDA out of memory\",\"sequence\":4}\n\n");
            case CANCEL -> frames.add("id: 4\nevent: cancelled\ndata: {\"id\":\"" + id + "\",\"status\":\"cancelled\","
                    + "\"sequence\":4}\n\n");
            case NEVER -> { }
        }
        return frames;
    }

    private void events(HttpExchange exchange, ObjectNode job) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().add("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        write(out, ": stream for " + job.get("id").asText() + "\nretry: 50\n\n");
        String lastEventIdHeader = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        long resumeAfter = lastEventIdHeader == null ? 0 : Long.parseLong(lastEventIdHeader);
        int drop = dropStreamAfterEvents;
        dropStreamAfterEvents = -1;
        List<String> frames = script(job);
        int sent = 0;
        for (int i = 0; i < frames.size(); i++) {
            if (i + 1 <= resumeAfter) {
                continue; // Last-Event-ID: skip what the client already has
            }
            if (drop >= 0 && sent == drop) {
                return; // close the stream without a terminal event, as a restarting gateway would
            }
            write(out, frames.get(i));
            sent++;
            if (job.path("previews").asBoolean() && (i == 2 || i == 3)) {
                // after the progress of steps 1 and 2: a preview, without an id (Last-Event-ID stays where it is)
                String image = java.util.Base64.getEncoder().encodeToString(i == 2 ? PREVIEW_1 : PREVIEW_2);
                write(out, "event: preview\ndata: {\"id\":\"" + job.get("id").asText() + "\",\"step\":" + (i - 1)
                        + ",\"total_steps\":2,\"image\":\"data:image/png;base64," + image
                        + "\",\"width\":8,\"height\":8}\n\n");
            }
            if (i == 1) {
                write(out, "event: heartbeat\ndata: {}\n\n: keep-alive comment\n\n");
                job.put("status", "running");
                job.set("prompt_truncation", promptTruncation);
            }
            if (i == frames.size() - 1) {
                applyTerminal(job);
            }
        }
    }

    private void applyTerminal(ObjectNode job) {
        String id = job.get("id").asText();
        switch (outcome) {
            case SUCCEED -> {
                job.put("status", "succeeded").put("progress", 100).put("current_step", 2).put("total_steps", 2);
                job.set("image_keys", Api.JSON.createArrayNode().add("images/" + id + "/0.png"));
            }
            case FAIL -> job.put("status", "failed").put("error", "CUDA out of memory");
            case CANCEL -> job.put("status", "cancelled");
            case NEVER -> { }
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    // ---- responses -----------------------------------------------------------------------------------------------

    private static void json(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json", Api.JSON.writeValueAsBytes(body));
    }

    private static void problem(HttpExchange exchange, int status, String detail, List<Api.FieldError> errors)
            throws IOException {
        ObjectNode problem = Api.JSON.createObjectNode().put("type", "about:blank").put("title", "Error " + status)
                .put("status", status).put("detail", detail).put("instance", exchange.getRequestURI().getPath());
        if (errors != null) {
            problem.set("errors", Api.JSON.valueToTree(errors));
        }
        send(exchange, status, "application/problem+json", Api.JSON.writeValueAsBytes(problem));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    private static int intParam(String query, String name, int fallback) {
        if (query == null) {
            return fallback;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith(name + "=")) {
                return Integer.parseInt(pair.substring(name.length() + 1));
            }
        }
        return fallback;
    }
}
