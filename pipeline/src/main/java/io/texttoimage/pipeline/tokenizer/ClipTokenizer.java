package io.texttoimage.pipeline.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.texttoimage.pipeline.ModelFolderException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CLIP tokenizer of Stable Diffusion 1.x, equal to transformers' slow {@code CLIPTokenizer} (without ftfy) called
 * as the diffusers pipelines call it: {@code tokenizer(text, padding="max_length", max_length=77, truncation=True)}.
 *
 * <p>Steps: split off literal special tokens; clean each piece like BERT's basic tokenizer (see {@link TextCleaner});
 * split it with CLIP's word pattern; byte-level BPE each word; add start and end tokens; truncate; pad. Thread-safe.
 */
public final class ClipTokenizer {

    /** CLIP's word pattern: special tokens, English contractions, letter runs, single digits, other symbol runs. */
    private static final Pattern WORD_PATTERN = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    /** transformers keeps at most this many merges (49152 - 256 - 2), whatever the file holds. */
    private static final int MAX_MERGES = 49152 - 256 - 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Integer> vocabulary;
    private final Map<Integer, String> tokensById;
    private final BytePairEncoder bpe;
    private final String startToken;
    private final String endToken;
    private final int startId;
    private final int endId;
    private final int padId;
    private final int unknownId;
    private final int maxLength;

    private ClipTokenizer(Map<String, Integer> vocabulary, Map<String, Integer> mergeRanks, SpecialTokens special,
            int maxLength) {
        this.vocabulary = vocabulary;
        this.tokensById = invert(vocabulary);
        this.bpe = new BytePairEncoder(mergeRanks);
        this.startToken = special.start();
        this.endToken = special.end();
        this.startId = idOf(special.start(), "bos_token");
        this.endId = idOf(special.end(), "eos_token");
        this.padId = idOf(special.pad(), "pad_token");
        this.unknownId = idOf(special.unknown(), "unk_token");
        this.maxLength = maxLength;
    }

    private static Map<Integer, String> invert(Map<String, Integer> vocabulary) {
        Map<Integer, String> tokens = new HashMap<>(vocabulary.size() * 2);
        vocabulary.forEach((token, id) -> tokens.putIfAbsent(id, token));
        return tokens;
    }

    private int idOf(String token, String role) {
        Integer id = vocabulary.get(token);
        if (id == null) {
            throw new ModelFolderException("Tokenizer file vocab.json has no id for the " + role + " '" + token + "'");
        }
        return id;
    }

    /**
     * Loads the tokenizer from a diffusers {@code tokenizer/} folder: {@code vocab.json}, {@code merges.txt}, and
     * optionally {@code tokenizer_config.json} and {@code special_tokens_map.json} (special tokens, model max length).
     */
    public static ClipTokenizer load(Path tokenizerDir) {
        Map<String, Integer> vocabulary = readVocabulary(tokenizerDir.resolve("vocab.json"));
        Map<String, Integer> mergeRanks = readMerges(tokenizerDir.resolve("merges.txt"));
        JsonNode config = readOptionalJson(tokenizerDir.resolve("tokenizer_config.json"));
        JsonNode specialMap = readOptionalJson(tokenizerDir.resolve("special_tokens_map.json"));
        SpecialTokens special = SpecialTokens.from(config, specialMap);
        int maxLength = config.path("model_max_length").asInt(77);
        if (maxLength < 2 || maxLength > 4096) {
            throw badFile(tokenizerDir.resolve("tokenizer_config.json"),
                    "has model_max_length " + maxLength + ", which is not a usable sequence length");
        }
        return new ClipTokenizer(vocabulary, mergeRanks, special, maxLength);
    }

    private static Map<String, Integer> readVocabulary(Path file) {
        JsonNode root = readJson(file);
        if (!root.isObject() || root.isEmpty()) {
            throw badFile(file, "is not a JSON object mapping tokens to ids");
        }
        Map<String, Integer> vocabulary = new HashMap<>(root.size() * 2);
        root.properties().forEach(entry -> {
            if (!entry.getValue().canConvertToInt()) {
                throw badFile(file, "gives token '" + entry.getKey() + "' no integer id");
            }
            vocabulary.put(entry.getKey(), entry.getValue().asInt());
        });
        return vocabulary;
    }

    private static Map<String, Integer> readMerges(Path file) {
        String text = readText(file).strip();
        String[] lines = text.split("\n", -1);
        int last = Math.min(lines.length, MAX_MERGES + 1);
        Map<String, Integer> ranks = new HashMap<>(last * 2);
        // Line 0 is the "#version" header; transformers skips it unconditionally.
        for (int i = 1; i < last; i++) {
            String[] pair = lines[i].strip().split("\\s+");
            if (pair.length != 2) {
                throw badFile(file, "has no merge pair on line " + (i + 1) + ": '" + lines[i] + "'");
            }
            ranks.put(pair[0] + " " + pair[1], i - 1);
        }
        if (ranks.isEmpty()) {
            throw badFile(file, "holds no merges");
        }
        return ranks;
    }

    private static JsonNode readOptionalJson(Path file) {
        return Files.exists(file) ? readJson(file) : JSON.createObjectNode();
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(readText(file));
        } catch (JsonProcessingException e) {
            throw badFile(file, "is not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw badFile(file, "is missing", e);
        } catch (IOException e) {
            throw badFile(file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private static ModelFolderException badFile(Path file, String problem) {
        return new ModelFolderException("Tokenizer file " + file + " " + problem);
    }

    private static ModelFolderException badFile(Path file, String problem, Throwable cause) {
        return new ModelFolderException("Tokenizer file " + file + " " + problem, cause);
    }

    public int maxLength() {
        return maxLength;
    }

    public int padId() {
        return padId;
    }

    /** Tokenizes, truncates to {@link #maxLength()} and pads with the pad token. */
    public TokenizedText encode(String text) {
        List<Integer> tokens = tokenIds(text == null ? "" : text);
        int room = maxLength - 2;
        boolean truncated = tokens.size() > room;
        int kept = Math.min(tokens.size(), room);
        int[] ids = new int[maxLength];
        Arrays.fill(ids, padId);
        ids[0] = startId;
        for (int i = 0; i < kept; i++) {
            ids[i + 1] = tokens.get(i);
        }
        ids[kept + 1] = endId;
        return new TokenizedText(ids, kept + 2, truncated);
    }

    /**
     * The text's length and, when it is too long, the part {@link #encode} drops: diffusers' check in
     * {@code encode_prompt}, which warns with the decoded {@code untruncated_ids[max_length - 1 : -1]}.
     */
    public PromptTokens measure(String text) {
        List<Integer> ids = tokenIds(text == null ? "" : text);
        int room = maxLength - 2;
        String dropped = ids.size() > room ? decode(ids.subList(room, ids.size())) : null;
        return new PromptTokens(ids.size() + 2, maxLength, dropped);
    }

    /**
     * Token ids back to text as transformers' {@code CLIPTokenizer.decode} does by default: tokens joined, bytes
     * decoded, each end of word a space, then {@code clean_up_tokenization_spaces} (" ," becomes ","). CLIP's
     * cleaning is not undone: the text comes back lower-cased with single spaces.
     */
    public String decode(List<Integer> ids) {
        StringBuilder joined = new StringBuilder();
        for (int id : ids) {
            joined.append(tokensById.getOrDefault(id, ""));
        }
        String text = BytePairEncoder.byteDecode(joined.toString())
                .replace(BytePairEncoder.END_OF_WORD, " ").strip();
        return cleanUpTokenizationSpaces(text);
    }

    /** transformers' {@code clean_up_tokenization}, on for the CLIP tokenizer unless its config turns it off. */
    private static String cleanUpTokenizationSpaces(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** The text's token ids, without start, end or padding. */
    public List<Integer> tokenIds(String text) {
        List<Integer> ids = new ArrayList<>();
        for (String piece : splitOnSpecialTokens(text)) {
            if (piece.equals(startToken)) {
                ids.add(startId);
            } else if (piece.equals(endToken)) {
                ids.add(endId);
            } else {
                appendWordIds(TextCleaner.clean(piece), ids);
            }
        }
        return ids;
    }

    /** Splits out exact occurrences of the special tokens, as transformers' added-token trie does. */
    private List<String> splitOnSpecialTokens(String text) {
        List<String> pieces = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int start = text.indexOf(startToken, from);
            int end = text.indexOf(endToken, from);
            int next = start < 0 ? end : end < 0 ? start : Math.min(start, end);
            if (next < 0) {
                break;
            }
            String special = next == start ? startToken : endToken;
            if (next > from) {
                pieces.add(text.substring(from, next));
            }
            pieces.add(special);
            from = next + special.length();
        }
        if (from < text.length()) {
            pieces.add(text.substring(from));
        }
        return pieces;
    }

    private void appendWordIds(String cleaned, List<Integer> ids) {
        Matcher matcher = WORD_PATTERN.matcher(cleaned);
        while (matcher.find()) {
            String word = matcher.group();
            // Special tokens reached here in another case; CLIP's BPE cache maps them to themselves without </w>.
            if (word.equalsIgnoreCase(startToken)) {
                ids.add(startId);
            } else if (word.equalsIgnoreCase(endToken)) {
                ids.add(endId);
            } else {
                for (String symbol : bpe.encode(BytePairEncoder.byteEncode(word))) {
                    ids.add(vocabulary.getOrDefault(symbol, unknownId));
                }
            }
        }
    }

    /** Special token strings, from tokenizer_config.json, then special_tokens_map.json, then CLIP's defaults. */
    private record SpecialTokens(String start, String end, String pad, String unknown) {

        static SpecialTokens from(JsonNode config, JsonNode specialMap) {
            String start = token("bos_token", config, specialMap, "<|startoftext|>");
            String end = token("eos_token", config, specialMap, "<|endoftext|>");
            String unknown = token("unk_token", config, specialMap, "<|endoftext|>");
            String pad = token("pad_token", config, specialMap, end);
            return new SpecialTokens(start, end, pad, unknown);
        }

        private static String token(String key, JsonNode config, JsonNode specialMap, String fallback) {
            for (JsonNode source : List.of(config, specialMap)) {
                JsonNode value = source.path(key);
                if (value.isTextual()) {
                    return value.asText();
                }
                if (value.path("content").isTextual()) {
                    return value.path("content").asText();
                }
            }
            return fallback;
        }
    }
}
