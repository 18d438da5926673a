package io.texttoimage.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** What the launcher refuses before it starts anything (no server, no service is touched by these tests). */
class MainArgumentsTest {
    /** The tests run in local-stack/; the tiny model is in the repository's testdata/. */
    private static final String TINY_MODEL = Path.of("..", Main.TINY_MODEL).toString();

    private static Optional<String> problemOf(String... args) {
        Main main = new Main();
        new CommandLine(main).parseArgs(args);
        return main.argumentProblem();
    }

    @Test
    void theGatewaysRulesAreCheckedBeforeTheStart() {
        String problem = problemOf("a fox", "--model", TINY_MODEL, "--width", "100", "--steps", "0").orElseThrow();
        assertEquals("invalid request, nothing was started: num_steps (--steps) must be greater than or equal to 1;"
                + " width (--width) must be a multiple of 64.", problem);
    }

    @Test
    void everyBrokenRuleIsNamed() {
        String problem = problemOf(" ", "--model", TINY_MODEL, "--height", "2048", "--guidance", "31", "--scheduler",
                "k_euler", "--seed", "-1", "--num-images", "5").orElseThrow();
        for (String expected : new String[] {"guidance_scale (--guidance) must be less than or equal to 30",
                "height (--height) must be less than or equal to 1024", "num_images (--num-images) must be less than or equal to 4",
                "prompt (PROMPT) must not be blank", "scheduler (--scheduler) must be one of pndm, ddim",
                "seed (--seed) must be greater than or equal to 0"}) {
            assertTrue(problem.contains(expected), expected + " missing in: " + problem);
        }
    }

    @Test
    void validArgumentsPass() {
        assertEquals(Optional.empty(), problemOf("a fox", "--model", TINY_MODEL, "--width", "1024", "--height", "64",
                "--steps", "150", "--guidance", "0", "--scheduler", "dpmpp-2m-karras", "--num-images", "4", "--seed", "0"));
        assertEquals(Optional.empty(), problemOf("a fox"), "the default model is a Hub id: only the Hub can check it");
        assertEquals(Optional.empty(), problemOf("--keep-running", "--model", "someone/some-model"));
    }

    @Test
    void aMistypedModelFolderIsFoundBeforeTheStart() {
        assertTrue(problemOf("a fox", "--model", Path.of("..", "testdata/sd-reference/modl").toString()).orElseThrow()
                .contains("is neither an existing folder nor a Hugging Face repo id"));
        assertTrue(problemOf("a fox", "--model", "src/modl").orElseThrow().contains("does not exist (src/ does)"));
        assertTrue(problemOf("a fox", "--model", "src").orElseThrow().contains("without model_index.json"));
    }

    @Test
    void versionPrintsTheProjectVersion() {
        StringWriter out = new StringWriter();
        int code = new CommandLine(new Main()).setOut(new PrintWriter(out, true)).execute("--version");
        assertEquals(0, code);
        assertTrue(out.toString().strip().matches("text-to-image \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), out.toString());
    }
}
