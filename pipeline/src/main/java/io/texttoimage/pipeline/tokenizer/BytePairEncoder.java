package io.texttoimage.pipeline.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CLIP's byte-level BPE: a word's UTF-8 bytes are mapped to printable characters (GPT-2's byte-to-unicode table), the
 * last symbol gets {@code </w>}, and the lowest-ranked adjacent pair is merged until no ranked pair remains. Results
 * are cached per word because prompts repeat words constantly.
 */
final class BytePairEncoder {

    static final String END_OF_WORD = "</w>";
    private static final int CACHE_LIMIT = 50_000;
    private static final char[] BYTE_TO_CHAR = byteToCharTable();
    private static final Map<Character, Integer> CHAR_TO_BYTE = charToByteTable();

    private final Map<String, Integer> mergeRanks;
    private final Map<String, List<String>> cache = new ConcurrentHashMap<>();

    /** @param mergeRanks rank of each merge, keyed by {@code first + " " + second} */
    BytePairEncoder(Map<String, Integer> mergeRanks) {
        this.mergeRanks = mergeRanks;
    }

    /** GPT-2's table: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards. */
    private static char[] byteToCharTable() {
        char[] table = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char) b : (char) (256 + extra++);
        }
        return table;
    }

    private static Map<Character, Integer> charToByteTable() {
        Map<Character, Integer> table = new HashMap<>(512);
        for (int b = 0; b < 256; b++) {
            table.put(BYTE_TO_CHAR[b], b);
        }
        return Map.copyOf(table);
    }

    static String byteEncode(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[Byte.toUnsignedInt(bytes[i])];
        }
        return new String(chars);
    }

    /**
     * The inverse of {@link #byteEncode}: printable characters back to their bytes, then UTF-8 with errors replaced
     * (transformers' {@code errors="replace"}: a character cut between two tokens becomes U+FFFD).
     */
    static String byteDecode(String encoded) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            Integer b = CHAR_TO_BYTE.get(encoded.charAt(i));
            if (b != null) {
                bytes.write(b);
            } else {
                // not a byte symbol (vocab.json holds none, but a hand-made vocabulary might): keep it as it is
                bytes.writeBytes(String.valueOf(encoded.charAt(i)).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The BPE symbols of one byte-encoded word. */
    List<String> encode(String byteEncodedWord) {
        List<String> cached = cache.get(byteEncodedWord);
        if (cached != null) {
            return cached;
        }
        List<String> symbols = merge(byteEncodedWord);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(byteEncodedWord, symbols);
        return symbols;
    }

    private List<String> merge(String word) {
        List<String> symbols = new ArrayList<>(word.length());
        for (int i = 0; i < word.length() - 1; i++) {
            symbols.add(String.valueOf(word.charAt(i)));
        }
        symbols.add(word.charAt(word.length() - 1) + END_OF_WORD);
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String bestFirst = null;
            String bestSecond = null;
            for (int i = 0; i < symbols.size() - 1; i++) {
                Integer rank = mergeRanks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    bestFirst = symbols.get(i);
                    bestSecond = symbols.get(i + 1);
                }
            }
            if (bestFirst == null) {
                break;
            }
            symbols = mergeAll(symbols, bestFirst, bestSecond);
        }
        return List.copyOf(symbols);
    }

    /** Merges every non-overlapping occurrence of the pair, left to right. */
    private static List<String> mergeAll(List<String> symbols, String first, String second) {
        List<String> merged = new ArrayList<>(symbols.size());
        int i = 0;
        while (i < symbols.size()) {
            if (i < symbols.size() - 1 && symbols.get(i).equals(first) && symbols.get(i + 1).equals(second)) {
                merged.add(first + second);
                i += 2;
            } else {
                merged.add(symbols.get(i));
                i++;
            }
        }
        return merged;
    }
}
