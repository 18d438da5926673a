package io.texttoimage.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.texttoimage.contracts.SchedulerNames;
import io.texttoimage.pipeline.io.Npy;
import io.texttoimage.pipeline.io.PngImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line, in process: exit codes, one-sentence errors without stack traces, files written. */
class SdGenerateCommandTest {

    static final String MODEL = "../testdata/sd-reference/model";
    static final Path CASES = Path.of("../testdata/sd-reference/cases");

    @TempDir
    Path temp;

    record Run(int exitCode, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SdGenerateCommand.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    static void assertUserError(Run run, String expectedText) {
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains(expectedText), run.err());
        assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), "no stack trace: " + run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
    }

    @Test
    void help() {
        Run run = run("--help");
        assertEquals(0, run.exitCode());
        for (String option : List.of("--model", "--prompt", "--negative-prompt", "--width", "--height", "--steps",
                "--guidance", "--scheduler", "--seed", "--latents", "--num-images", "--output", "--output-npy",
                "--print-tokens")) {
            assertTrue(run.out().contains(option), option);
        }
        // the scheduler names come from the contracts' list, all of them
        String help = run.out().replaceAll("\\s+", " ");
        assertTrue(help.contains(SchedulerNames.NAMES_TEXT), help);
    }

    @Test
    void usageErrors() {
        assertUserError(run("--prompt", "x"), "--model");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--steps", "many"), "--steps");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--steps", "0"), "Steps must be at least 1");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--guidance", "-1"), "Guidance scale");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--width", "100"), "multiples of 64");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--scheduler", "k_euler"), "dpmpp-2m-sde-karras");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--num-images", "9"), "between 1 and 4");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--output", temp.resolve("no/such/dir/x.png").toString()),
                "does not exist");
    }

    /**
     * An output that cannot be written is refused before the models load (no progress bar, no "Wrote"), as a usage
     * error in one sentence: not after the whole pipeline ran, with a bare path and exit 1.
     */
    @Test
    void anOutputThatCannotBeWrittenIsRefusedBeforeThePipelineRuns() throws Exception {
        Path file = Files.writeString(temp.resolve("notes.txt"), "a file");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--steps", "1", "--output", temp.toString()),
                "it is a folder");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--steps", "1", "--output", file.resolve("x.png").toString()),
                file + " is a file, not a folder");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--steps", "1",
                "--output", file.resolve("deeper/x.png").toString()), file + " is a file, not a folder");
        // /proc is a folder in which nobody, root included, can create a file
        assertUserError(run("--model", MODEL, "--prompt", "x", "--steps", "1", "--output", "/proc/x.png"),
                "no file can be created in /proc");
        assertUserError(run("--model", MODEL, "--prompt", "x", "--steps", "1", "--output", temp.resolve("ok.png").toString(),
                "--output-npy", temp.toString()), "--output-npy " + temp + ": it is a folder");
        try (var left = Files.list(temp)) {
            assertEquals(List.of(file), left.toList(), "the write probe leaves nothing behind");
        }
    }

    @Test
    void brokenModelFolder() throws Exception {
        Path model = temp.resolve("broken");
        Files.createDirectories(model);
        Files.writeString(model.resolve("model_index.json"), "{}");
        assertUserError(run("--model", model.toString(), "--prompt", "x"), "tokenizer/vocab.json");
        assertUserError(run("--model", temp.resolve("absent").toString(), "--prompt", "x"), "does not exist");
    }

    @Test
    void printTokens() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(CASES.resolve("cases.json").toFile()).get("cases").get(12);
        assertEquals("dev13", golden.get("id").asText());
        Run run = run("--model", MODEL, "--prompt", golden.get("prompt").asText(), "--print-tokens");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        long[] expected = Npy.read(CASES.resolve("dev13/cond_input_ids.npy")).longs();
        List<Long> ids = new ArrayList<>();
        json.get("input_ids").forEach(id -> ids.add(id.asLong()));
        assertEquals(77, ids.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], ids.get(i));
        }
        assertTrue(json.get("truncated").asBoolean(), "dev13's prompt is longer than 77 tokens");
        assertEquals(77, json.get("token_count").asInt());
    }

    @Test
    void reproducesAGoldenCaseFromItsLatents() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(CASES.resolve("cases.json").toFile()).get("cases").get(3);
        assertEquals("dev04", golden.get("id").asText());
        Path png = temp.resolve("dev04.png");
        Path npy = temp.resolve("dev04.npy");
        Run run = run("--model", MODEL, "--prompt", golden.get("prompt").asText(),
                "--negative-prompt", golden.get("negative_prompt").asText(), "--steps", "20", "--guidance", "7.5",
                "--scheduler", "ddim", "--seed", "3", "--latents", CASES.resolve("dev04/latents_init.npy").toString(),
                "--output", png.toString(), "--output-npy", npy.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("20/20"), "progress bar: " + run.err());
        float[] expected = Npy.read(CASES.resolve("dev04/image.npy")).floats();
        float[] actual = Npy.read(npy).floats();
        assertEquals(expected.length, actual.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= 1e-4, "float image differs by " + worst);
        byte[] expectedRgb = PngImages.decode(Files.readAllBytes(CASES.resolve("dev04/image.png"))).rgb();
        byte[] actualRgb = PngImages.decode(Files.readAllBytes(png)).rgb();
        for (int i = 0; i < expectedRgb.length; i++) {
            assertTrue(Math.abs((expectedRgb[i] & 0xFF) - (actualRgb[i] & 0xFF)) <= 1);
        }
    }

    @Test
    void numbersFurtherImages() throws Exception {
        Path png = temp.resolve("batch.png");
        Run run = run("--model", MODEL, "--prompt", "two boats", "--steps", "2", "--num-images", "3", "--seed", "5",
                "--width", "128", "--output", png.toString(), "--quiet");
        assertEquals(0, run.exitCode(), run.err());
        for (String name : List.of("batch.png", "batch-1.png", "batch-2.png")) {
            var image = PngImages.decode(Files.readAllBytes(temp.resolve(name)));
            assertEquals(128, image.width());
            assertEquals(64, image.height());
            assertTrue(image.text().get("parameters").contains("Seed: 5"));
        }
        assertFalse(run.err().contains("steps  "), "--quiet: no progress bar");
    }

    @Test
    void latentsMustMatchTheGivenSize() {
        Run run = run("--model", MODEL, "--prompt", "x", "--width", "128",
                "--latents", CASES.resolve("dev01/latents_init.npy").toString());
        assertUserError(run, "--width 128 does not match");
    }
}
