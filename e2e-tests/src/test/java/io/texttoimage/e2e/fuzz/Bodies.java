package io.texttoimage.e2e.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * JSON bodies of {@code POST /generated-images}, written as text so that every shape can be made: a small valid
 * request (one or two steps, 64×64, a short queue timeout: the single tiny-model generator must not be swamped), the
 * same with one to three fields broken (wrong types, huge and non-finite numbers, Unicode edge cases), and
 * structurally broken JSON (malformed, deeply nested, duplicate keys, huge).
 */
final class Bodies {
    /** A 2000-character prompt is the limit; the body limit is 64 KiB. */
    static final int BODY_LIMIT = 64 * 1024;

    private Bodies() {
    }

    /** The fields of a small valid request, as raw JSON values, prompt first. */
    static Map<String, String> validFields(SplittableRandom random, String marker) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("prompt", quote("fuzz " + marker + " " + WORDS[random.nextInt(WORDS.length)]));
        fields.put("num_steps", Integer.toString(1 + random.nextInt(2)));
        fields.put("width", "64");
        fields.put("height", "64");
        fields.put("queue_timeout", Integer.toString(15 + random.nextInt(30)));
        if (random.nextBoolean()) {
            fields.put("seed", Long.toString(random.nextLong(0, Long.MAX_VALUE)));
        }
        if (random.nextInt(4) == 0) {
            fields.put("scheduler", quote(SCHEDULERS[random.nextInt(SCHEDULERS.length)]));
        }
        if (random.nextInt(5) == 0) {
            fields.put("negative_prompt", quote("blurry"));
        }
        if (random.nextInt(6) == 0) {
            fields.put("previews", random.nextBoolean() ? "true" : "false");
        }
        return fields;
    }

    /** A valid request whose prompt is a Unicode edge case still accepted or refused by the rules of prompts. */
    static Map<String, String> unicodePrompt(SplittableRandom random, String marker) {
        Map<String, String> fields = validFields(random, marker);
        String edge = UNICODE[random.nextInt(UNICODE.length)];
        fields.put(random.nextInt(4) == 0 ? "negative_prompt" : "prompt", random.nextInt(3) == 0
                ? "\"" + edge + "\"" // edges only: no marker, not necessarily visible
                : "\"fuzz " + marker + " " + edge + "\"");
        return fields;
    }

    /** One to three fields replaced by a wrong value (type, range, non-finite, unknown field, camelCase name...). */
    static Map<String, String> mutated(SplittableRandom random, String marker) {
        Map<String, String> fields = validFields(random, marker);
        int mutations = 1 + random.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            String[] mutation = MUTATIONS[random.nextInt(MUTATIONS.length)];
            if (mutation[0].equals("-")) {
                fields.remove(mutation[1]);
            } else {
                fields.put(mutation[0], mutation[1]);
            }
        }
        return fields;
    }

    static byte[] object(Map<String, String> fields) {
        StringBuilder json = new StringBuilder("{");
        fields.forEach((name, value) -> json.append(json.length() > 1 ? "," : "").append(quote(name)).append(':')
                .append(value));
        return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** JSON that is not a request object at all, or not JSON. */
    static byte[] structural(SplittableRandom random, String marker) {
        String valid = new String(object(validFields(random, marker)), StandardCharsets.UTF_8);
        return switch (random.nextInt(24)) {
            case 0 -> new byte[0];
            case 1 -> utf8("   \n\t ");
            case 2 -> utf8("null");
            case 3 -> utf8("[]");
            case 4 -> utf8("[" + valid + "]");
            case 5 -> utf8("\"" + marker + "\"");
            case 6 -> utf8("42");
            case 7 -> utf8(valid.substring(0, 1 + random.nextInt(valid.length() - 1))); // truncated
            case 8 -> utf8(valid + " trailing");
            case 9 -> utf8(valid + valid);
            case 10 -> utf8(valid.replace("\"", "'")); // single quotes
            case 11 -> utf8(valid.replace("}", ",}")); // trailing comma
            case 12 -> utf8("/* comment */" + valid);
            case 13 -> utf8(valid.replace("{", "{\"prompt\":\"first\","));
            case 14 -> nested(random, "{\"a\":", "}", 1 + random.nextInt(random.nextBoolean() ? 60 : 20_000));
            case 15 -> nested(random, "[", "]", 1 + random.nextInt(random.nextBoolean() ? 60 : 20_000));
            case 16 -> utf8(valid.replace("{", "{\"webhook\":" + "{\"url\":".repeat(1 + random.nextInt(3000))
                    + "\"x\"" + "}".repeat(0) + ","));
            case 17 -> utf8("\uFEFF" + valid); // a byte order mark
            case 18 -> valid.getBytes(StandardCharsets.UTF_16); // UTF-16 with BOM
            case 19 -> concat(utf8(valid.substring(0, valid.length() - 1) + ",\"negative_prompt\":\""),
                    INVALID_UTF8[random.nextInt(INVALID_UTF8.length)], utf8("\"}"));
            case 20 -> utf8(valid.replace("}", ",\"n\":" + "9".repeat(1 + random.nextInt(20_000)) + "}"));
            case 21 -> manyKeys(random, marker);
            case 22 -> utf8(valid.replace("fuzz", "fuzz\\u")); // a broken escape
            default -> utf8("{\"prompt\":" + "\"" + "x".repeat(random.nextInt(2) == 0 ? 2001 : 70_000) + "\"}");
        };
    }

    /** Bodies over the 64 KiB limit: a huge prompt, a huge unknown field, megabytes of whitespace. */
    static byte[] oversized(SplittableRandom random, String marker) {
        int size = BODY_LIMIT + 1 + random.nextInt(random.nextBoolean() ? 100 : 2_000_000);
        return switch (random.nextInt(3)) {
            case 0 -> utf8("{\"prompt\":\"" + marker + "x".repeat(size) + "\"}");
            case 1 -> utf8("{\"prompt\":\"" + marker + "\",\"junk\":\"" + "y".repeat(size) + "\"}");
            default -> utf8(" ".repeat(size) + "{\"prompt\":\"" + marker + "\"}");
        };
    }

    private static byte[] nested(SplittableRandom random, String open, String close, int depth) {
        StringBuilder json = new StringBuilder(depth * (open.length() + close.length()) + 2);
        json.append(open.repeat(depth)).append(random.nextBoolean() ? "1" : "{}").append(close.repeat(depth));
        return utf8(json.toString());
    }

    private static byte[] manyKeys(SplittableRandom random, String marker) {
        StringBuilder json = new StringBuilder("{\"prompt\":\"" + marker + "\"");
        int keys = 100 + random.nextInt(5_000);
        for (int i = 0; i < keys; i++) {
            json.append(",\"k").append(i).append("\":").append(i);
        }
        return utf8(json.append('}').toString());
    }

    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    private static final String[] WORDS = {"a lighthouse", "a red fox", "mountains at dawn", "a cat", "fog"};
    private static final String[] SCHEDULERS = {"euler", "DPM++ 2M Karras", "ddim", "Euler a", "dpmpp_2m"};

    /** Unicode edge cases, as JSON string content (escapes are JSON escapes, decoded by the gateway). */
    private static final String[] UNICODE = {
        "\\u0000", "nul\\u0000inside", "\\u200b\\u200b\\u200b", "zero\\u200dwidth\\u2060joiner", "\\u202eRTL override",
        "\\u0645\\u0631\\u062d\\u0628\\u0627 \\u05e9\\u05dc\\u05d5\\u05dd", "\\u2066isolate\\u2069", "\\ud83d\\ude00",
        "\\ud83d\\udc69\\u200d\\ud83d\\udc69\\u200d\\ud83d\\udc67", "\\ud800 lone high", "lone low \\udc00", "\\udfff\\ud800",
        "\\ufeffbom", "\\ufffe\\uffff", "\\u2028line\\u2029para", "\\u001b[31mansi\\u001b[0m", "\\u0007bell", "\\t\\n\\r",
        "e\\u0301\\u0301\\u0301\\u0301\\u0301\\u0301\\u0301", "\\ue000private", "\\ud83c\\udff3\\ufe0f\\u200d\\ud83c\\udf08",
        "   ", "\\u3000\\u00a0\\u2003", "\\u0085next line", "%s%n%x", "${jndi:ldap://127.0.0.1/a}", "<script>x</script>",
        "' OR 1=1 --", "\\\\\\\"\\\\", "\\ud83d\\ude00".repeat(1000), "x".repeat(2000), "y".repeat(2001),
        "\\u0000".repeat(3000), "\\u0301".repeat(500), "\\ud800".repeat(1000), "\\uD834\\uDD1E music",
    };

    /** {field, raw JSON value}; {"-", field}: the field removed. */
    private static final String[][] MUTATIONS = {
        {"prompt", "123"}, {"prompt", "true"}, {"prompt", "null"}, {"prompt", "[]"}, {"prompt", "{}"},
        {"prompt", "\"\""}, {"prompt", "[\"a\",\"b\"]"}, {"-", "prompt"}, {"prompt", "{\"text\":\"a\"}"},
        {"num_steps", "0"}, {"num_steps", "-1"}, {"num_steps", "151"}, {"num_steps", "\"2\""}, {"num_steps", "1.5"},
        {"num_steps", "2147483648"}, {"num_steps", "99999999999999999999999999"}, {"num_steps", "1e400"},
        {"num_steps", "-1e400"}, {"num_steps", "NaN"}, {"num_steps", "Infinity"}, {"num_steps", "true"},
        {"num_steps", "[1]"}, {"num_steps", "{}"}, {"num_steps", "2e0"}, {"num_steps", "0x10"}, {"num_steps", "01"},
        {"num_steps", "-0"}, {"num_steps", "+1"}, {"num_steps", ".5"}, {"num_steps", "1."},
        {"guidance_scale", "NaN"}, {"guidance_scale", "Infinity"}, {"guidance_scale", "-Infinity"},
        {"guidance_scale", "1e309"}, {"guidance_scale", "-0.0"}, {"guidance_scale", "30.0000001"},
        {"guidance_scale", "\"7.5\""}, {"guidance_scale", "4.9e-324"}, {"guidance_scale", "1" + "0".repeat(400)},
        {"width", "63"}, {"width", "65"}, {"width", "0"}, {"width", "-64"}, {"width", "1088"}, {"width", "64.0"},
        {"width", "64.5"}, {"width", "\"64\""}, {"width", "4294967360"}, {"height", "1e1000"}, {"height", "null"},
        {"height", "[64]"}, {"width", "-2147483648"},
        {"seed", "-1"}, {"seed", "9223372036854775808"}, {"seed", "18446744073709551616"}, {"seed", "1.5"},
        {"seed", "\"42\""}, {"seed", "1e19"}, {"seed", "-9223372036854775808"},
        {"num_images", "0"}, {"num_images", "5"}, {"num_images", "\"1\""}, {"num_images", "-2147483649"},
        {"queue_timeout", "0"}, {"queue_timeout", "-5"}, {"queue_timeout", "86401"}, {"queue_timeout", "2147483648"},
        {"run_timeout", "0"}, {"run_timeout", "21601"}, {"run_timeout", "1e10"}, {"run_timeout", "\"PT5M\""},
        {"scheduler", "\"bogus\""}, {"scheduler", "\"\""}, {"scheduler", "42"}, {"scheduler", "[\"euler\"]"},
        {"scheduler", "\"" + "e".repeat(3000) + "\""}, {"scheduler", "\"\\u0000euler\""},
        {"previews", "\"yes\""}, {"previews", "1"}, {"previews", "[true]"},
        {"webhook", "\"http://127.0.0.1/\""}, {"webhook", "{}"}, {"webhook", "{\"url\":\"ftp://10.0.0.1/x\"}"},
        {"webhook", "{\"url\":\"http://127.0.0.1:9/hook\"}"}, {"webhook", "{\"url\":\"http://10.1.2.3/hook\"}"},
        {"webhook", "{\"url\":\"http://[::1]/hook\"}"}, {"webhook", "{\"url\":\"http://169.254.169.254/latest\"}"},
        {"webhook", "{\"url\":\"not a url\"}"}, {"webhook", "{\"url\":\"http://" + "a".repeat(2100) + "\"}"},
        {"webhook", "{\"url\":42}"}, {"webhook", "{\"url\":\"http://10.0.0.1/\",\"events\":[\"bogus\"]}"},
        {"webhook", "{\"url\":\"http://10.0.0.1/\",\"events\":\"completed\"}"},
        {"webhook", "{\"url\":\"http://10.0.0.1/\",\"extra\":1}"}, {"webhook", "{\"url\":\"http://0x7f000001/\"}"},
        {"webhook", "{\"url\":\"http://user:pw@10.0.0.1/\"}"}, {"webhook", "{\"url\":null}"},
        {"webhook", "{\"url\":\"http://10.0.0.1/\\u0000x\"}"}, {"webhook", "{\"url\":\"http://10.0.0.1/\",\"events\":[\"\\u0000\"]}"},
        {"webhook", "{\"url\":\"\\u0000http://10.0.0.1/\"}"}, {"scheduler", "\"euler\\u0000\""},
        {"numSteps", "2"}, {"Prompt", "\"x\""}, {"unknown_field", "1"}, {"", "1"}, {"\\u0000", "1"},
        {"prompt\\u0000", "\"x\""}, {"__proto__", "{}"}, {"-", "width"}, {"-", "height"},
    };

    /** Byte sequences that are not UTF-8 (a lone continuation byte, overlong '/', CESU-8 surrogate, 0xFF). */
    private static final byte[][] INVALID_UTF8 = {
        {(byte) 0x80}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xff, (byte) 0xfe},
        {(byte) 0xe2, (byte) 0x82}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
    };
}
