package io.texttoimage.pipeline;

import java.time.Duration;

/**
 * Where the wall time of the last {@code generate} call went: inside ONNX Runtime {@code run} calls per graph, and in
 * total. {@link #outsideOrt()} is everything else (tokenising, scheduler maths, copies, PNG encoding — the last also
 * on its own in {@link #pngEncoding()}).
 */
public record OrtCallStats(Duration wall, Duration textEncoder, int textEncoderCalls, Duration unet, int unetCalls,
                           Duration vaeDecoder, int vaeDecoderCalls, Duration pngEncoding) {

    public Duration insideOrt() {
        return textEncoder.plus(unet).plus(vaeDecoder);
    }

    public Duration outsideOrt() {
        return wall.minus(insideOrt());
    }

    /** Share of the wall time spent outside ONNX Runtime, 0..1. */
    public double outsideOrtShare() {
        return wall.isZero() ? 0 : (double) outsideOrt().toNanos() / wall.toNanos();
    }
}
