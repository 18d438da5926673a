package io.texttoimage.pipeline.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.texttoimage.pipeline.ModelFolderException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClipTokenizerTest {

    private static final Path REFERENCE = Path.of("../testdata/sd-reference");
    private static final Path TOKENIZER_DIR = REFERENCE.resolve("model/tokenizer");
    private static final int START = 49406;
    private static final int END = 49407;
    private static ClipTokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = ClipTokenizer.load(TOKENIZER_DIR);
    }

    static Stream<Arguments> goldenCases() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(REFERENCE.resolve("tokenizer-cases.jsonl"));
        return lines.stream().filter(line -> !line.isBlank()).map(line -> {
            try {
                JsonNode node = json.readTree(line);
                int[] ids = new int[node.get("input_ids").size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = node.get("input_ids").get(i).asInt();
                }
                return Arguments.of(node.get("text").asText(), ids);
            } catch (IOException e) {
                throw new IllegalStateException("bad golden line: " + line, e);
            }
        });
    }

    @Test
    void goldenFileHasAllCases() throws IOException {
        assertEquals(306, goldenCases().count());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("goldenCases")
    void reproducesTransformersSlowClipTokenizer(String text, int[] expectedIds) {
        int[] actual = tokenizer.encode(text).inputIds();
        assertArrayEquals(expectedIds, actual, () -> "text " + escape(text) + "\nexpected "
                + Arrays.toString(expectedIds) + "\nactual   " + Arrays.toString(actual));
    }

    @Test
    void readsMaxLengthAndPadFromTheTokenizerFiles() {
        assertEquals(77, tokenizer.maxLength());
        assertEquals(END, tokenizer.padId());
    }

    @Test
    void countsTokensOfAShortPrompt() {
        TokenizedText tokens = tokenizer.encode("a photograph of an astronaut riding a horse");
        assertEquals(10, tokens.tokenCount());
        assertFalse(tokens.truncated());
        assertEquals(START, tokens.inputIds()[0]);
        assertEquals(END, tokens.inputIds()[9]);
    }

    @Test
    void truncatesALongPromptTo75TextTokens() {
        String prompt = "a very detailed painting of a red fox in a snowy forest at night, ".repeat(10);
        int textTokens = tokenizer.tokenIds(prompt).size();
        assertTrue(textTokens > 75, "prompt must exceed the limit, has " + textTokens + " tokens");

        TokenizedText tokens = tokenizer.encode(prompt);
        assertTrue(tokens.truncated());
        assertEquals(77, tokens.tokenCount());
        assertEquals(77, tokens.inputIds().length);
        assertEquals(START, tokens.inputIds()[0]);
        assertEquals(END, tokens.inputIds()[76]);
        assertArrayEquals(tokenizer.tokenIds(prompt).subList(0, 75).stream().mapToInt(Integer::intValue).toArray(),
                Arrays.copyOfRange(tokens.inputIds(), 1, 76));
    }

    @Test
    void promptOfExactly75TokensIsNotTruncated() {
        String prompt = "cat ".repeat(75);
        TokenizedText tokens = tokenizer.encode(prompt);
        assertFalse(tokens.truncated());
        assertEquals(77, tokens.tokenCount());
        assertTrue(tokenizer.encode(prompt + "cat").truncated());
    }

    @Test
    void measureCountsAsDiffusersAndFindsNothingDroppedUpTo75TextTokens() {
        PromptTokens exact = tokenizer.measure("cat ".repeat(75));
        assertEquals(77, exact.tokens(), "75 text tokens plus start and end token");
        assertEquals(77, exact.maxTokens());
        assertFalse(exact.truncated());
        assertEquals(0, exact.droppedTokens());
        assertEquals(null, exact.droppedText());

        PromptTokens shortPrompt = tokenizer.measure("a photograph of an astronaut riding a horse");
        assertEquals(10, shortPrompt.tokens());
        assertFalse(shortPrompt.truncated());
        assertEquals(2, tokenizer.measure(null).tokens());
    }

    @Test
    void measureReportsTheDroppedTokensAsText() {
        PromptTokens oneOver = tokenizer.measure("cat ".repeat(75) + "dog");
        assertEquals(78, oneOver.tokens());
        assertTrue(oneOver.truncated());
        assertEquals(1, oneOver.droppedTokens());
        assertEquals("dog", oneOver.droppedText(), "diffusers' removed_text: untruncated_ids[76:-1]");

        PromptTokens twoOver = tokenizer.measure("cat ".repeat(75) + "Red FOX,  in the snow!");
        assertEquals(77 + 7, twoOver.tokens(), "red fox , in the snow !");
        assertEquals(7, twoOver.droppedTokens());
        assertEquals("red fox, in the snow!", twoOver.droppedText(),
                "decoded as transformers does: lower-cased, one space per word end, no space before punctuation");
    }

    @Test
    void theDroppedTextIsWhatEncodeLeavesOut() {
        String prompt = "a very detailed painting of a red fox in a snowy forest at night, ".repeat(10);
        PromptTokens measured = tokenizer.measure(prompt);
        List<Integer> ids = tokenizer.tokenIds(prompt);
        assertEquals(ids.size() + 2, measured.tokens());
        assertEquals(tokenizer.decode(ids.subList(75, ids.size())), measured.droppedText());
        assertEquals(tokenizer.encode(prompt).truncated(), measured.truncated());
    }

    @Test
    void decodeRestoresNonAsciiText() {
        // CJK characters are words of their own after CLIP's cleaning, so each ends in a space as in transformers
        assertEquals("café über 東 京", tokenizer.decode(tokenizer.tokenIds("Café über 東京")));
    }

    @Test
    void emptyAndNullPromptsGiveStartEndAndPadding() {
        int[] expected = new int[77];
        Arrays.fill(expected, END);
        expected[0] = START;
        assertArrayEquals(expected, tokenizer.encode("").inputIds());
        assertArrayEquals(expected, tokenizer.encode(null).inputIds());
        assertEquals(2, tokenizer.encode("   ").tokenCount());
    }

    @Test
    void missingVocabularyNamesTheFile(@TempDir Path dir) throws IOException {
        Files.copy(TOKENIZER_DIR.resolve("merges.txt"), dir.resolve("merges.txt"));
        ModelFolderException error = assertThrows(ModelFolderException.class, () -> ClipTokenizer.load(dir));
        assertTrue(error.getMessage().contains("vocab.json"), error.getMessage());
    }

    @Test
    void invalidMergesNameTheFile(@TempDir Path dir) throws IOException {
        Files.copy(TOKENIZER_DIR.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\ni n\nbroken-line-without-pair\n");
        ModelFolderException error = assertThrows(ModelFolderException.class, () -> ClipTokenizer.load(dir));
        assertTrue(error.getMessage().contains("merges.txt"), error.getMessage());
    }

    @Test
    void corruptConfigNamesTheFile(@TempDir Path dir) throws IOException {
        Files.copy(TOKENIZER_DIR.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(TOKENIZER_DIR.resolve("merges.txt"), dir.resolve("merges.txt"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{ not json");
        ModelFolderException error = assertThrows(ModelFolderException.class, () -> ClipTokenizer.load(dir));
        assertTrue(error.getMessage().contains("tokenizer_config.json"), error.getMessage());
    }

    @Test
    void maxLengthComesFromTokenizerConfig(@TempDir Path dir) throws IOException {
        Files.copy(TOKENIZER_DIR.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(TOKENIZER_DIR.resolve("merges.txt"), dir.resolve("merges.txt"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 8, \"pad_token\": \"!\"}");
        ClipTokenizer small = ClipTokenizer.load(dir);
        TokenizedText tokens = small.encode("one two three four five six seven");
        assertEquals(8, tokens.inputIds().length);
        assertTrue(tokens.truncated());
        assertEquals(END, tokens.inputIds()[7]);
        TokenizedText padded = small.encode("one");
        assertEquals(0, padded.inputIds()[7], "pad token '!' has id 0 in CLIP's vocabulary");
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(cp -> {
            if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || Character.getType(cp) == Character.FORMAT) {
                out.append(String.format("\\u%04x", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.append('"').toString();
    }
}
