package io.texttoimage.gateway.messaging;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A task every gateway replica runs on a timer (the outbox relay, the deadline check, the webhook relay): one pass
 * at a time (a pass asked for while one runs is skipped and yields {@code idle}), optionally bounded in time so that
 * a stuck pass does not stop every later one, and one log line when passes start failing and one when they work
 * again, not one per failed pass (during an outage that would flood the log).
 */
public final class PeriodicPass<T> {
    private final String name;
    private final Logger log;
    private final Supplier<Uni<T>> pass;
    private final T idle;
    private final Duration limit;
    private final AtomicBoolean running = new AtomicBoolean();
    /** Passes that failed in a row. */
    private final AtomicLong failures = new AtomicLong();
    private long timerId = -1;

    /** @param limit how long a pass may take before it counts as failed; null: no limit */
    public PeriodicPass(String name, Logger log, T idle, Duration limit, Supplier<Uni<T>> pass) {
        this.name = name;
        this.log = log;
        this.idle = idle;
        this.limit = limit;
        this.pass = pass;
    }

    public void start(Vertx vertx, Duration interval) {
        long intervalMs = Math.max(100, interval.toMillis());
        timerId = vertx.setPeriodic(intervalMs, id -> run().subscribe().with(ignored -> { }, ignored -> { }));
    }

    public void stop(Vertx vertx) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    /** One pass, unless one is running. */
    public Uni<T> run() {
        if (!running.compareAndSet(false, true)) {
            log.debugf("%s: the previous pass is still running", name);
            return Uni.createFrom().item(idle);
        }
        Uni<T> bounded = Uni.createFrom().deferred(() -> pass.get()); // a pass that throws still releases
        if (limit != null) {
            bounded = bounded.ifNoItem().after(limit).fail();
        }
        return bounded
                .invoke(ignored -> {
                    long failed = failures.getAndSet(0);
                    if (failed > 0) {
                        log.infof("%s: working again after %d failed pass(es)", name, failed);
                    }
                })
                .onFailure().invoke(failure -> {
                    if (failures.getAndIncrement() == 0) {
                        log.warnf("%s: a pass failed (%s); retrying, logged again when it works", name,
                                failure.getMessage());
                    }
                })
                .eventually(() -> running.set(false));
    }
}
