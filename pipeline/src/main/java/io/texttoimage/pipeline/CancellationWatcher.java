package io.texttoimage.pipeline;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Polls a {@link CancellationToken} while ONNX Runtime computes and sets the terminate flag of the run's
 * {@link OrtSession.RunOptions}, so that a cancelled request stops inside a long UNet call (seconds per step on a
 * CPU) instead of after it. ONNX Runtime checks the flag between graph nodes and then fails the call.
 */
final class CancellationWatcher implements AutoCloseable {

    private static final long POLL_MILLIS = 50;
    private static final ScheduledExecutorService POLLER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "sd-cancellation-watcher");
        thread.setDaemon(true);
        return thread;
    });

    private final CancellationToken token;
    private final OrtSession.RunOptions options;
    private final ScheduledFuture<?> polling;
    private boolean closed;
    private boolean terminated;

    private CancellationWatcher(CancellationToken token) throws OrtException {
        this.token = token;
        this.options = new OrtSession.RunOptions();
        this.polling = POLLER.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Null for {@link CancellationToken#NEVER}: nothing to watch, runs use default options. */
    static CancellationWatcher watch(CancellationToken token) throws OrtException {
        return token == CancellationToken.NEVER ? null : new CancellationWatcher(token);
    }

    OrtSession.RunOptions options() {
        return options;
    }

    synchronized boolean terminated() {
        return terminated;
    }

    private synchronized void poll() {
        if (closed || terminated) {
            return;
        }
        try {
            if (token.isCancellationRequested()) {
                options.setTerminate(true);
                terminated = true;
            }
        } catch (OrtException | RuntimeException e) {
            System.getLogger(CancellationWatcher.class.getName())
                    .log(System.Logger.Level.WARNING, "Cancellation check failed", e);
        }
    }

    /** Stops polling; the options are closed only after no poll can touch them any more. */
    @Override
    public synchronized void close() {
        closed = true;
        polling.cancel(false);
        options.close();
    }
}
