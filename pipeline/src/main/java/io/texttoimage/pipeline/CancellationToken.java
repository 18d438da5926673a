package io.texttoimage.pipeline;

/**
 * Checked between denoising steps and, every 50 ms, by a watcher thread while ONNX Runtime computes (a cancelled run
 * also stops inside a long UNet call); once it answers true the run stops with {@link GenerationCancelledException}.
 * Implementations must be thread-safe (an {@code AtomicBoolean} or a volatile flag).
 */
@FunctionalInterface
public interface CancellationToken {

    CancellationToken NEVER = () -> false;

    boolean isCancellationRequested();
}
