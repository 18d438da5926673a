package io.texttoimage.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.texttoimage.contracts.SchedulerNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs t2i commands against a loopback server that speaks the gateway's API over real HTTP and SSE. */
class T2iTest {

    @TempDir
    Path out;
    FakeGateway gateway;

    record Run(int exitCode, String stdout, String stderr) {
    }

    @BeforeEach
    void start() throws IOException {
        gateway = new FakeGateway();
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    Run t2i(String... args) {
        List<String> all = new ArrayList<>(List.of("--url", gateway.url().toString()));
        all.addAll(List.of(args));
        return t2iRaw(all.toArray(String[]::new));
    }

    static Run t2iRaw(String... args) {
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        int code = T2i.execute(new PrintWriter(stdout, true), new PrintWriter(stderr, true), args);
        return new Run(code, stdout.toString(), stderr.toString());
    }

    long requestsTo(String pathPrefix) {
        return gateway.requests().stream().filter(r -> r.pathAndQuery().startsWith(pathPrefix)).count();
    }

    // ---- generate --------------------------------------------------------------------------------------------

    @Test
    void generateSubmitsFollowsAndSavesThePng() throws IOException {
        Run run = t2i("generate", "a red fox in snow", "--steps", "2", "--seed", "7", "-n", "blurry", "--out", out.toString());

        assertEquals(0, run.exitCode(), run.stderr());
        FakeGateway.Request submit = gateway.requests().get(0);
        assertEquals("POST", submit.method());
        JsonNode body = Api.JSON.readTree(submit.body());
        assertEquals("a red fox in snow", body.get("prompt").asText());
        assertEquals(2, body.get("num_steps").asInt());
        assertEquals(7, body.get("seed").asLong());
        assertEquals("blurry", body.get("negative_prompt").asText());
        assertFalse(body.has("width") || body.has("scheduler"), "unset options are left to the server: " + body);

        String id = gateway.requests().stream()
                .filter(r -> r.pathAndQuery().endsWith("/events")).findFirst().orElseThrow()
                .pathAndQuery().split("/")[2];
        Path png = out.resolve(id + "-0.png");
        assertArrayEquals(FakeGateway.PNG, Files.readAllBytes(png));
        assertTrue(run.stdout().contains("saved " + png), run.stdout());
        assertTrue(run.stdout().contains("url   " + gateway.url() + "/storage/images/" + id + "/0.png?X-Amz-Signature=abc123"),
                run.stdout());
        assertTrue(run.stdout().contains("seed  7"), run.stdout());
        assertTrue(run.stderr().contains("100%") && run.stderr().contains("step 2/2"), "progress bar: " + run.stderr());
        assertFalse(Files.exists(out.resolve(id + "-0.png.part")), "no partial file left");
    }

    @Test
    void generateWithPreviewAsksForThemAndKeepsTheFileTheLatestOne() throws IOException {
        Path preview = out.resolve("live/preview.png");
        Run run = t2i("generate", "a red fox in snow", "--preview", preview.toString(), "--out", out.toString());

        assertEquals(0, run.exitCode(), run.stderr());
        assertTrue(Api.JSON.readTree(gateway.requests().get(0).body()).get("previews").asBoolean());
        assertArrayEquals(FakeGateway.PREVIEW_2, Files.readAllBytes(preview), "the latest preview, step 2");
        assertFalse(Files.exists(out.resolve("live/preview.png.part")), "no partial file left");
        assertTrue(run.stderr().contains("100%") && run.stderr().contains("step 2/2"), "progress bar: " + run.stderr());

        Run plain = t2i("generate", "a red fox in snow", "--out", out.toString());
        assertEquals(0, plain.exitCode(), plain.stderr());
        assertFalse(Api.JSON.readTree(gateway.requests().stream().filter(r -> r.method().equals("POST"))
                .toList().getLast().body()).has("previews"), "no --preview: the server's default (none)");
    }

    @Test
    void watchWithPreviewWritesThePreviewsOfAJobThatHasThem() throws IOException {
        Run submitted = t2i("--json", "generate", "a red fox in snow", "--no-wait");
        assertEquals(0, submitted.exitCode(), submitted.stderr());
        String id = Api.JSON.readTree(submitted.stdout()).get("id").asText();
        gateway.job(id).put("previews", true); // as if submitted by a client that asked for previews
        Path preview = out.resolve("watch-preview.png");

        Run json = t2i("--json", "watch", id, "--preview", preview.toString());
        assertEquals(0, json.exitCode(), json.stderr());
        assertArrayEquals(FakeGateway.PREVIEW_2, Files.readAllBytes(preview));
        assertFalse(json.stdout().contains("base64"), "--json prints job events only, never previews: " + json.stdout());

        Files.delete(preview);
        gateway.job(id).put("status", "queued");
        Run withoutFlag = t2i("watch", id);
        assertEquals(0, withoutFlag.exitCode(), withoutFlag.stderr());
        assertFalse(Files.exists(preview), "previews are ignored without --preview");
    }

    private static final String CUT_PROMPT = "{\"prompt\":{\"tokens\":80,\"max_tokens\":77,"
            + "\"dropped_text\":\"in the snow, at night\"},\"negative_prompt\":null}";
    private static final String PROMPT_CUT_LINE =
            "prompt cut at 77 CLIP tokens (80 given); ignored: 'in the snow, at night'";

    @Test
    void generateSaysOnceWhatTheTokenLimitCutOff() throws IOException {
        gateway.cutPrompts(Api.JSON.readTree(CUT_PROMPT));
        Run run = t2i("generate", "a very long prompt", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals(1, run.stderr().lines().filter(line -> line.equals("warning: " + PROMPT_CUT_LINE)).count(),
                run.stderr());
        assertFalse(run.stderr().contains("negative prompt cut"), run.stderr());

        Run json = t2i("generate", "a very long prompt", "--out", out.toString(), "--json");
        JsonNode cut = Api.JSON.readTree(json.stdout()).path("job").path("prompt_truncation").path("prompt");
        assertEquals(80, cut.path("tokens").asInt(), json.stdout());
        assertEquals("in the snow, at night", cut.path("dropped_text").asText());
    }

    @Test
    void nothingIsSaidWhenThePromptsFit() {
        Run run = t2i("generate", "a short prompt", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.stderr());
        assertFalse(run.stderr().contains("cut at"), run.stderr());
        Run get = t2i("get", gateway.addJob("succeeded"));
        assertFalse(get.stdout().contains("note:") || get.stdout().contains("cut at"), get.stdout());
    }

    @Test
    void watchSaysWhatTheTokenLimitCutOff() throws IOException {
        gateway.cutPrompts(Api.JSON.readTree(CUT_PROMPT));
        Run run = t2i("watch", gateway.addJob("queued"));
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals(1, run.stderr().lines().filter(line -> line.equals("warning: " + PROMPT_CUT_LINE)).count(),
                run.stderr());
    }

    @Test
    void watchShowsThePlaceInLineAndTheEstimatesWhileQueuedAndTheTimeLeftWhileRunning() {
        gateway.queueEvents();
        Run run = t2i("watch", gateway.addJob("queued"));
        assertEquals(0, run.exitCode(), run.stderr());
        List<String> lines = run.stderr().lines().toList();
        assertTrue(lines.contains("[------------------------------]   0%  queued  position 2 (1 ahead, 2 workers), "
                + "starts in ~5 s, done in ~12 s"), run.stderr());
        assertTrue(lines.contains("[------------------------------]   0%  queued  position 1 (0 ahead, 2 workers), "
                + "no estimate yet"), "a new place is a new line, even without an estimate: " + run.stderr());
        assertTrue(lines.contains("[###############---------------]  50%  step 1/2  running  ~3 min 05 s left"),
                run.stderr());
        assertTrue(lines.stream().filter(line -> line.contains("succeeded")).noneMatch(line -> line.contains("left")),
                "no time left once it ended: " + run.stderr());
    }

    @Test
    void theProgressBarClearsItsLineForTheNoticeAndDrawsItAgainBelow() {
        StringWriter text = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(text), true);
        bar.onEvent("queued", new Api.JobEvent("j", "queued", 0, 2, 0, null, null, 1L, null));
        Api.PromptTruncation truncation = new Api.PromptTruncation(null,
                new Api.TruncatedText(90, 77, "lowres, bad anatomy"));
        bar.onEvent("running", new Api.JobEvent("j", "running", 0, 2, 0, null, null, 2L, truncation));
        bar.onEvent("progress", new Api.JobEvent("j", "running", 1, 2, 50, null, null, 3L, null));
        String expectedNotice = "\r\u001b[Kwarning: negative prompt cut at 77 CLIP tokens (90 given); ignored: "
                + "'lowres, bad anatomy'" + System.lineSeparator() + "\r[";
        assertTrue(text.toString().contains(expectedNotice), text.toString());
        assertEquals(1, text.toString().split("negative prompt cut", -1).length - 1, "said once: " + text);
    }

    @Test
    void generateWaitsForTheStoredRecordToCatchUpWithTheTerminalEvent() {
        gateway.staleReadsOfFinishedJobs(3);

        Run run = t2i("--json", "generate", "a lighthouse", "--out", out.toString());

        assertEquals(0, run.exitCode(), run.stderr());
        assertTrue(run.stdout().contains("\"status\":\"succeeded\""), run.stdout());
        long reads = gateway.requests().stream()
                .filter(r -> r.method().equals("GET") && r.pathAndQuery().matches("/generated-images/[0-9a-f-]+")).count();
        assertTrue(reads >= 4, "three stale reads, then the finished record: " + reads);
    }

    @Test
    void generateJsonIsOneParsableDocument() throws IOException {
        Run run = t2i("--json", "generate", "a lighthouse", "--out", out.toString());

        assertEquals(0, run.exitCode(), run.stderr());
        JsonNode result = Api.JSON.readTree(run.stdout());
        assertEquals("succeeded", result.at("/job/status").asText());
        assertEquals(0, result.at("/images/0/index").asInt());
        assertArrayEquals(FakeGateway.PNG, Files.readAllBytes(Path.of(result.at("/images/0/file").asText())));
        assertTrue(result.at("/images/0/url").asText().contains("X-Amz-Signature"));
        assertEquals("", run.stderr(), "no progress bar in --json mode");
    }

    @Test
    void generateIsALibraryCallForLaunchers() {
        List<String> seen = new ArrayList<>();
        JobProgressListener listener = new JobProgressListener() {
            @Override
            public void onSubmitted(Api.JobRecord job) {
                seen.add("submitted " + job.status());
            }

            @Override
            public void onEvent(String name, Api.JobEvent event) {
                seen.add(name + " " + event.progress() + " " + event.step());
            }

            @Override
            public void onFinished(Api.JobRecord job) {
                seen.add("finished " + job.status());
            }
        };
        GenerateCommand.Result result = GenerateCommand.run(new GatewayClient(gateway.url()),
                Api.GenerateRequest.of("a castle"), out, listener);

        assertEquals(List.of("submitted queued", "queued 0 null", "running 0 0", "progress 50 1", "progress 100 2",
                "succeeded 100 null", "finished succeeded"), seen, "heartbeats and comments are not events");
        assertEquals(1, result.images().size());
        assertTrue(Files.isRegularFile(result.images().get(0).file()));
        assertEquals(List.of("images/" + result.job().id() + "/0.png"), result.job().imageKeys());
    }

    @Test
    void failedAndCancelledJobsExitWithOne() {
        gateway.outcome(FakeGateway.Outcome.FAIL);
        Run failed = t2i("generate", "a cat", "--out", out.toString());
        assertEquals(ExitCodes.JOB_FAILED, failed.exitCode());
        assertTrue(failed.stderr().contains("failed: CUDA out of memory"), failed.stderr());

        gateway.outcome(FakeGateway.Outcome.CANCEL);
        Run cancelled = t2i("--json", "generate", "a dog", "--out", out.toString());
        assertEquals(ExitCodes.JOB_FAILED, cancelled.exitCode());
        assertTrue(cancelled.stderr().contains("ended cancelled"), cancelled.stderr());
        assertEquals(1, t2iJson(cancelled).get("exit_code").asInt(), cancelled.stdout());
        assertEquals(0, requestsTo("/storage"), "nothing to download");
    }

    JsonNode t2iJson(Run run) {
        try {
            return Api.JSON.readTree(run.stdout());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + run.stdout(), e);
        }
    }

    // ---- validation and exit codes ------------------------------------------------------------------------------

    @Test
    void serverValidationErrorsExitWithTwoAndShowTheProblem() {
        Run run = t2i("generate", "a cat", "--steps", "500", "--out", out.toString());
        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertTrue(run.stderr().contains("The generation request is invalid."), run.stderr());
        assertTrue(run.stderr().contains("num_steps: must be between 1 and 150"), run.stderr());

        Run json = t2i("--json", "generate", "a cat", "--steps", "0");
        assertEquals(ExitCodes.USAGE, json.exitCode());
        assertEquals("num_steps", t2iJson(json).at("/problem/errors/0/field").asText());
    }

    @Test
    void badArgumentsExitWithTwoBeforeAnyRequest() {
        for (String[] args : List.of(
                new String[]{"generate", "   "},
                new String[]{"generate"},
                new String[]{"generate", "cat", "--steps", "many"},
                new String[]{"generate", "cat", "--bogus"},
                new String[]{"get", "not-a-uuid"},
                new String[]{"list", "--size", "0"},
                new String[]{"list", "--page", "-1"},
                new String[]{"nonsense"},
                new String[]{})) {
            Run run = t2i(args);
            assertEquals(ExitCodes.USAGE, run.exitCode(), String.join(" ", args) + " → " + run.stderr());
            assertFalse(run.stderr().isBlank(), "says what is wrong: " + String.join(" ", args));
        }
        assertEquals(List.of(), gateway.requests());
    }

    @Test
    void unknownJobExitsWithFour() {
        String id = UUID.randomUUID().toString();
        for (String command : List.of("get", "watch", "cancel", "download")) {
            Run run = t2i(command, id);
            assertEquals(ExitCodes.NOT_FOUND, run.exitCode(), command + ": " + run.stderr());
            assertTrue(run.stderr().contains("No generated image job with id " + id), run.stderr());
        }
    }

    @Test
    void unreachableGatewayExitsWithThree() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Run run = t2iRaw("--url", "http://127.0.0.1:" + closedPort, "list");
        assertEquals(ExitCodes.UNREACHABLE, run.exitCode());
        assertTrue(run.stderr().contains("Cannot reach the gateway at http://127.0.0.1:" + closedPort), run.stderr());
    }

    @Test
    void helpWorksEverywhere() {
        for (String command : List.of("generate", "watch", "get", "list", "cancel", "download")) {
            Run run = t2i(command, "--help");
            assertEquals(0, run.exitCode());
            assertTrue(run.stdout().startsWith("Usage: t2i " + command), run.stdout());
        }
        // the scheduler names come from the contracts' list, all of them
        String generateHelp = t2i("generate", "--help").stdout().replaceAll("\\s+", " ");
        assertTrue(generateHelp.contains(SchedulerNames.NAMES_TEXT), generateHelp);
        Run top = t2iRaw("--help");
        assertEquals(0, top.exitCode());
        assertTrue(top.stdout().contains("Exit codes:") && top.stdout().contains("T2I_URL"), top.stdout());
        assertEquals(List.of(), gateway.requests());
    }

    // ---- the other commands --------------------------------------------------------------------------------------

    @Test
    void getShowsTheJob() throws IOException {
        String id = gateway.addJob("succeeded");
        Run human = t2i("get", id);
        assertEquals(0, human.exitCode(), human.stderr());
        assertTrue(human.stdout().contains("status:    succeeded") && human.stdout().contains("seeded job"), human.stdout());

        Run json = t2i("get", id, "--json");
        assertEquals(id, Api.JSON.readTree(json.stdout()).get("id").asText());
    }

    @Test
    void getShowsWhatTheTokenLimitCutOff() throws IOException {
        String id = gateway.addJob("succeeded");
        gateway.job(id).set("prompt_truncation", Api.JSON.readTree("{\"prompt\":{\"tokens\":80,\"max_tokens\":77,"
                + "\"dropped_text\":\"in the snow, at night\"},\"negative_prompt\":{\"tokens\":78,\"max_tokens\":77,"
                + "\"dropped_text\":\"watermark\"}}"));
        Run run = t2i("get", id);
        assertTrue(run.stdout().contains("note:      " + PROMPT_CUT_LINE + System.lineSeparator()), run.stdout());
        assertTrue(run.stdout().contains("note:      negative prompt cut at 77 CLIP tokens (78 given); ignored: "
                + "'watermark'"), run.stdout());
    }

    @Test
    void getShowsUnsetSizeAndSchedulerAsTheModelsDefaultUntilTheWorkerResolvesThem() {
        String queued = gateway.addJob("queued");
        Run before = t2i("get", queued);
        assertTrue(before.stdout().contains("size:      the model's default (known once the job starts)"), before.stdout());
        assertTrue(before.stdout().contains("scheduler: the model's default (known once the job starts)"), before.stdout());
        assertFalse(before.stdout().contains("defaultxdefault") || before.stdout().contains("scheduler default"),
                before.stdout());

        // What the gateway stores from the worker's RUNNING event: the resolved values.
        gateway.job(queued).put("status", "running").put("width", 512).put("height", 384).put("scheduler", "pndm");
        Run after = t2i("get", queued);
        assertTrue(after.stdout().contains("size:      512x384"), after.stdout());
        assertTrue(after.stdout().contains("scheduler: pndm"), after.stdout());
    }

    @Test
    void listColumnsLineUpWhateverTheTimestampsPrecision() {
        // The real gateway sends microseconds (…T02:35:35.123456Z); a shorter one must not shift the prompt either.
        gateway.job(gateway.addJob("queued")).put("created_at", "2026-11-28T02:35:35.123456Z");
        gateway.job(gateway.addJob("cancelled")).put("created_at", "2026-11-28T02:35:36Z").put("progress", 100);
        Run run = t2i("list");
        assertEquals(0, run.exitCode(), run.stderr());
        String[] lines = run.stdout().split("\n");
        int createdColumn = lines[0].indexOf("CREATED");
        int promptColumn = lines[0].indexOf("PROMPT");
        for (String row : List.of(lines[1], lines[2])) {
            assertEquals("2026-11-28 02:35:3", row.substring(createdColumn, createdColumn + 18), run.stdout());
            assertEquals("seeded job", row.substring(promptColumn), run.stdout());
        }
    }

    @Test
    void versionIsTheProjectVersion() {
        Run run = t2iRaw("--version");
        assertEquals(0, run.exitCode(), run.stderr());
        assertTrue(run.stdout().strip().matches("t2i \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), run.stdout());
    }

    @Test
    void listPagesThroughJobs() throws IOException {
        for (int i = 0; i < 3; i++) {
            gateway.addJob("queued");
        }
        Run page = t2i("list", "--page", "1", "--size", "2");
        assertEquals(0, page.exitCode(), page.stderr());
        assertTrue(gateway.requests().stream().anyMatch(r -> r.pathAndQuery().equals("/generated-images?page=1&size=2")));
        assertTrue(page.stdout().contains("page 1 of 2, 3 jobs"), page.stdout());

        JsonNode json = Api.JSON.readTree(t2i("--json", "list").stdout());
        assertEquals(3, json.get("total").asInt());
        assertEquals(3, json.get("items").size());
    }

    @Test
    void cancelRequestsCancellationAndConflictsOnFinishedJobs() {
        String running = gateway.addJob("running");
        Run run = t2i("cancel", running);
        assertEquals(0, run.exitCode(), run.stderr());
        assertTrue(gateway.job(running).get("cancel_requested").asBoolean());
        assertTrue(run.stdout().contains("cancel requested for " + running), run.stdout());

        Run finished = t2i("cancel", gateway.addJob("succeeded"));
        assertEquals(ExitCodes.JOB_FAILED, finished.exitCode());
        assertTrue(finished.stderr().contains("already succeeded"), finished.stderr());
    }

    @Test
    void downloadSavesAFinishedJobsImages() throws IOException {
        String id = gateway.addJob("succeeded");
        Run run = t2i("download", id, "-o", out.resolve("nested/dir").toString());
        assertEquals(0, run.exitCode(), run.stderr());
        assertArrayEquals(FakeGateway.PNG, Files.readAllBytes(out.resolve("nested/dir/" + id + "-0.png")));

        Run notYet = t2i("download", gateway.addJob("running"));
        assertEquals(ExitCodes.JOB_FAILED, notYet.exitCode());
        assertTrue(notYet.stderr().contains("images exist only once it succeeded"), notYet.stderr());
    }

    @Test
    void watchResumesWithLastEventIdWhenTheStreamDrops() throws IOException {
        String id = Api.JSON.readTree(t2i("--json", "generate", "a boat", "--no-wait").stdout()).get("id").asText();
        gateway.dropFirstStreamAfter(3);

        Run run = t2i("watch", id, "--json");

        assertEquals(0, run.exitCode(), run.stderr());
        List<FakeGateway.Request> streams = gateway.requests().stream()
                .filter(r -> r.pathAndQuery().endsWith("/events")).toList();
        assertEquals(2, streams.size(), "one reconnect");
        assertEquals(null, streams.get(0).lastEventId());
        assertEquals("3", streams.get(1).lastEventId(), "resumes after the last event it saw");
        String[] lines = run.stdout().strip().split("\n");
        assertEquals(6, lines.length, "5 events without duplicates, then the record: " + run.stdout());
        for (int i = 0; i < 5; i++) {
            assertEquals(i + 1, Api.JSON.readTree(lines[i]).get("sequence").asInt());
        }
        assertEquals("succeeded", Api.JSON.readTree(lines[5]).get("status").asText());
    }

    @Test
    void watchGivesUpWhenTheStreamNeverEnds() {
        gateway.outcome(FakeGateway.Outcome.NEVER);
        String id = gateway.addJob("running");
        Run run = t2i("watch", id);
        assertEquals(ExitCodes.UNREACHABLE, run.exitCode());
        assertTrue(run.stderr().contains("keeps closing"), run.stderr());
    }

    @Test
    void gatewayUrlComesFromTheEnvironment() throws Exception {
        gateway.addJob("queued");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), T2i.class.getName(), "--json", "list");
        builder.environment().put("T2I_URL", gateway.url().toString());
        builder.environment().put("T2I_API_KEY", "t2i_from-the-environment");
        gateway.acceptKey("t2i_from-the-environment", false);
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        assertEquals(1, Api.JSON.readTree(output).get("total").asInt(), output);
        assertEquals("Bearer t2i_from-the-environment", gateway.requests().getLast().authorization());
    }

    @Test
    void badGatewayUrlIsAUsageError() {
        Run run = t2iRaw("--url", "not a url", "list");
        assertEquals(ExitCodes.USAGE, run.exitCode(), run.stderr());
        assertThrows(CliException.class, () -> new GatewayClient(java.net.URI.create("localhost")));
    }

    // ---- API keys ------------------------------------------------------------------------------------------------

    static final String USER_KEY = "t2i_user0000000000000000000000000000000000000";
    static final String ADMIN_KEY = "t2i_admin000000000000000000000000000000000000";

    @Test
    void withoutAKeyTheRefusalSaysHowToSendOne() {
        gateway.acceptKey(USER_KEY, false);
        Run run = t2i("list");
        assertEquals(ExitCodes.USAGE, run.exitCode(), run.stderr());
        assertTrue(run.stderr().startsWith("t2i: The gateway wants an API key: pass --api-key or set T2I_API_KEY"
                + " (This gateway needs an API key"), run.stderr());
        Run json = t2i("--json", "list");
        assertEquals(401, t2iJson(json).at("/problem/status").asInt(), json.stdout());
    }

    @Test
    void theKeyGoesToTheGatewayAndItsStreamButNeverToTheImageUrls() {
        gateway.acceptKey(USER_KEY, false);
        Run run = t2i("--api-key", USER_KEY, "generate", "a red fox", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.stderr());
        List<FakeGateway.Request> toGateway = gateway.requests().stream()
                .filter(r -> !r.pathAndQuery().startsWith("/storage")).toList();
        assertTrue(toGateway.stream().anyMatch(r -> r.pathAndQuery().endsWith("/events")), "followed the stream");
        for (FakeGateway.Request request : toGateway) {
            assertEquals("Bearer " + USER_KEY, request.authorization(), request.method() + " " + request.pathAndQuery());
        }
        assertEquals(1, requestsTo("/storage"));
        gateway.requests().stream().filter(r -> r.pathAndQuery().startsWith("/storage"))
                .forEach(r -> assertEquals(null, r.authorization(), "the signed URL is the permission"));
    }

    @Test
    void aRefusedKeyIsNamedByWhereItCameFromNeverByItsValue() {
        gateway.acceptKey(USER_KEY, false);
        Run run = t2i("--api-key", "t2i_wrong-key-value", "list");
        assertEquals(ExitCodes.USAGE, run.exitCode(), run.stderr());
        assertEquals("t2i: The gateway refused the API key from --api-key (Unknown API key): pass a valid one with"
                + " --api-key or set T2I_API_KEY.", run.stderr().strip());
        assertFalse(run.stderr().contains("wrong-key-value"), run.stderr());
    }

    @Test
    void theCheckoutsKeyFilesAreUsedTheAdminOneForAdminCommands() throws IOException {
        gateway.acceptKey(USER_KEY, false);
        gateway.acceptKey(ADMIN_KEY, true);
        Path checkout = out.resolve("checkout");
        Files.createDirectories(checkout.resolve(".t2i"));
        Files.writeString(checkout.resolve(".t2i/api-key"), USER_KEY + "\n");
        Files.writeString(checkout.resolve(".t2i/admin-key"), ADMIN_KEY + "\n");
        System.setProperty(ApiKey.REPO_ROOT_PROPERTY, checkout.toString());
        try {
            assertEquals(0, t2i("list").exitCode());
            assertEquals("Bearer " + USER_KEY, gateway.requests().getLast().authorization());
            assertEquals(0, t2i("admin", "keys", "list").exitCode());
            assertEquals("Bearer " + ADMIN_KEY, gateway.requests().getLast().authorization());
            Run given = t2i("--api-key", USER_KEY, "admin", "keys", "list");
            assertEquals("Bearer " + USER_KEY, gateway.requests().getLast().authorization(), "--api-key wins");
            assertEquals(ExitCodes.USAGE, given.exitCode());
            assertTrue(given.stderr().startsWith("t2i: This needs an admin key (Only admin keys may use /admin), and"
                    + " the key from --api-key is not one: pass an admin key with --api-key"), given.stderr());

            Files.writeString(checkout.resolve(".t2i/api-key"), "t2i_stale-key-of-an-earlier-run\n");
            Run stale = t2i("list");
            assertTrue(stale.stderr().contains("refused the API key from " + checkout.resolve(".t2i/api-key")),
                    stale.stderr());
        } finally {
            System.clearProperty(ApiKey.REPO_ROOT_PROPERTY);
        }
    }

    @Test
    void adminKeysCreatePrintsTheKeyOnceThenListAndRevoke() throws IOException {
        gateway.acceptKey(ADMIN_KEY, true);
        Run created = t2i("--api-key", ADMIN_KEY, "admin", "keys", "create", "--name", "ci-bot", "--owner", "team-a",
                "--expires-at", "2027-01-01T00:00:00Z");
        assertEquals(0, created.exitCode(), created.stderr());
        JsonNode sent = Api.JSON.readTree(gateway.requests().getLast().body());
        assertEquals("{\"name\":\"ci-bot\",\"owner\":\"team-a\",\"expires_at\":\"2027-01-01T00:00:00Z\"}", sent.toString());
        String key = created.stdout().strip();
        assertTrue(key.matches("t2i_\\S+") && created.stdout().lines().count() == 1, "the key alone: " + created.stdout());
        assertTrue(created.stderr().contains("created API key ") && created.stderr().contains("\"ci-bot\" for owner"
                + " team-a, expires 2027-01-01T00:00:00Z"), created.stderr());
        assertTrue(created.stderr().contains("will not be shown again"), created.stderr());
        assertEquals(0, t2i("--api-key", key, "list").exitCode(), "the new key works");

        Run json = t2i("--api-key", ADMIN_KEY, "--json", "admin", "keys", "create", "--name", "ops", "--admin");
        JsonNode record = t2iJson(json);
        assertTrue(record.get("key").asText().startsWith("t2i_") && record.get("admin").asBoolean(), json.stdout());

        Run list = t2i("--api-key", ADMIN_KEY, "admin", "keys", "list");
        assertEquals(0, list.exitCode(), list.stderr());
        List<String> lines = list.stdout().lines().toList();
        assertTrue(lines.get(0).startsWith("ID ") && lines.get(1).contains(" ops ") && lines.get(2).contains(" ci-bot "),
                "newest first: " + list.stdout());
        assertTrue(lines.get(2).matches(".* active +ci-bot +team-a +no +2026-12-01T19:00:00Z +2027-01-01T00:00:00Z +never"),
                lines.get(2));
        assertFalse(list.stdout().contains(key), "the list never shows a key");

        String id = gateway.apiKeys().getFirst().get("id").asText();
        Run revoked = t2i("--api-key", ADMIN_KEY, "admin", "keys", "revoke", id);
        assertEquals("revoked API key " + id + " \"ci-bot\" (owner team-a) at 2026-12-01T20:00:00Z", revoked.stdout().strip());
        Run after = t2i("--api-key", ADMIN_KEY, "--json", "admin", "keys", "list");
        assertEquals("2026-12-01T20:00:00Z", t2iJson(after).at("/items/1/revoked_at").asText(), after.stdout());
        Run unknown = t2i("--api-key", ADMIN_KEY, "admin", "keys", "revoke", UUID.randomUUID().toString());
        assertEquals(ExitCodes.NOT_FOUND, unknown.exitCode(), unknown.stderr());
    }

    @Test
    void adminArgumentsAreCheckedBeforeAnyRequest() {
        for (String[] args : List.of(new String[]{"admin"}, new String[]{"admin", "keys"},
                new String[]{"admin", "keys", "create"},
                new String[]{"admin", "keys", "create", "--name", "x", "--expires-at", "next year"},
                new String[]{"admin", "keys", "revoke"})) {
            Run run = t2i(args);
            assertEquals(ExitCodes.USAGE, run.exitCode(), String.join(" ", args) + " → " + run.stderr());
        }
        assertEquals(List.of(), gateway.requests());
        assertTrue(t2i("admin", "keys", "create", "--help").stdout().startsWith("Usage: t2i admin keys create"));
    }
}
