package io.texttoimage.e2e.fuzz;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One generated request, exactly as it goes on the wire: either through java.net.http ({@code raw == false}) or,
 * for the shapes HttpClient refuses to send (no Content-Type on a body, duplicate or restricted headers, bad
 * chunking, non-ASCII paths), as the bytes of {@link #rawBytes} over a plain socket.
 *
 * @param index      the request's number in the run: with the seed it names the request again
 * @param endpoint   the label the report counts it under, e.g. "POST /generated-images"
 * @param target     path and query as sent (already percent-encoded where it should be)
 * @param expect     what a 2xx answer must be
 * @param credential the credential kind it carries (see {@link Credentials.Kind})
 * @param jobId      the job it is about, when it names one the ledger knows (cross-owner checks); else null
 * @param malformed  true when the HTTP framing itself is broken: the gateway may close the connection instead of
 *                   answering, or answer with its HTTP decoder's bare status ({@link Oracle#codecRejection})
 */
record FuzzRequest(int index, String endpoint, String method, String target, List<Header> headers, byte[] body,
                   boolean raw, Expect expect, Credentials.Kind credential, String jobId, boolean malformed,
                   byte[] rawBytes) {

    /** What a successful answer has to look like. */
    enum Expect { JSON, SSE, ANY }

    record Header(String name, String value) {
    }

    boolean isHead() {
        return "HEAD".equals(method);
    }

    /** A shell line that sends the same request again (credentials shown as their kind, never their value). */
    String reproduce(URI base) {
        if (raw) {
            return "(exec 3<>/dev/tcp/%s/%d; printf '%s' >&3; timeout 5 cat <&3)   # bash, raw socket, request #%d"
                    .formatted(base.getHost(), base.getPort(), shellPrintf(rawBytes), index);
        }
        StringBuilder curl = new StringBuilder("curl -sS -i -X ").append(method);
        for (Header header : headers) {
            String value = header.name().equalsIgnoreCase("Authorization") ? "<" + credential + ">" : header.value();
            value = value.length() > 200 ? value.substring(0, 200) + "...(" + value.length() + " characters)" : value;
            curl.append(" -H ").append(shellQuote(header.name() + ": " + value));
        }
        if (body != null) {
            curl.append(body.length > 600 ? " --data-binary @body-" + index + ".bin   # " + body.length + " bytes: "
                    + shellQuote(preview(body)) : " --data-binary " + shellQuote(new String(body,
                    StandardCharsets.UTF_8)));
        }
        String url = base.resolve("/").toString().replaceAll("/$", "") + target;
        if (url.length() > 400) {
            url = url.substring(0, 400) + "...(" + url.length() + " characters)";
        }
        return curl.append(' ').append(shellQuote(url)).toString();
    }

    private static String preview(byte[] bytes) {
        return new String(bytes, 0, Math.min(120, bytes.length), StandardCharsets.UTF_8) + "...";
    }

    static String shellQuote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    private static String shellPrintf(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        int limit = Math.min(bytes.length, 400);
        for (int i = 0; i < limit; i++) {
            int b = bytes[i] & 0xff;
            if (b == '\r') {
                out.append("\\r");
            } else if (b == '\n') {
                out.append("\\n");
            } else if (b < 0x20 || b >= 0x7f || b == '\'' || b == '\\' || b == '%') {
                out.append(String.format("\\%03o", b));
            } else {
                out.append((char) b);
            }
        }
        return limit < bytes.length ? out + "...(" + bytes.length + " bytes)" : out.toString();
    }
}
