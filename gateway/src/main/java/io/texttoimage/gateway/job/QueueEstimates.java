package io.texttoimage.gateway.job;

import io.smallrye.mutiny.Uni;
import io.texttoimage.contracts.JobEvent;
import io.texttoimage.contracts.JobEventType;
import io.texttoimage.contracts.WorkerHeartbeat;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Where a queued job stands in line (same model, FIFO by {@code created_at}: there is one model per deployment, so
 * every queued job is in the same line), and when it should start and finish; how long a running job has left.
 *
 * <p>How: the live workers' heartbeats give the mean seconds of one UNet step per image size. Each live worker is
 * free now, or when its running job ends (its remaining steps at that job's own rate so far, or at the measured step
 * time before its first step). The queued jobs are then handed out in order, each to the worker free first, each
 * taking {@code num_steps × step seconds of its size × num_images} plus the overhead its size showed in the runs
 * heard (the time beyond the steps: text encoder, VAE decode, PNG, upload). What cannot be known is left null: no step time
 * for a job's size (no worker has run one yet) makes its finish unknown, and every start after it; no live worker
 * makes everything unknown. Nothing is invented.
 *
 * <p>Cost: the queue is read (index-only, {@code V8__queue_position.sql}) at most once per {@link #MAX_AGE} per
 * replica, whatever the number of requests and streams, and again when a job leaves it, by one answer at a time;
 * every answer in between is computed from that read. A job submitted after it on this replica joins its end; one submitted on another replica
 * is placed by its {@code created_at} behind the jobs read.
 */
@ApplicationScoped
public class QueueEstimates {
    /** How old the queue as read may be when an answer uses it. */
    static final Duration MAX_AGE = Duration.ofSeconds(1);
    /** The oldest plan an answer uses while another answer is reading the queue again. */
    static final Duration STALE_LIMIT = Duration.ofSeconds(5);
    /** How long after a job left the queue the line is read again for every answer. */
    static final Duration SETTLE = Duration.ofMillis(200);
    /** The size a request without width and height gets (SD 1.5's native size). */
    static final String DEFAULT_SIZE = WorkerHeartbeat.sizeKey(512, 512);
    /** Not known: sorts after every real time in the simulation. */
    private static final Instant UNKNOWN = Instant.MAX;

    /** A queued job's place: 1 = next to start. */
    public record QueuePlace(int position, int jobsAhead, int liveWorkers) {
    }

    /**
     * When a job should start and finish, and the seconds from now until it finishes; each null when unknown. For a
     * running job {@code startAt} is when it started.
     */
    public record Estimate(Instant startAt, Instant finishAt, Double remainingSeconds) {
        static Estimate of(Instant startAt, Instant finishAt, Instant now) {
            Double remaining = finishAt == null ? null
                    : Math.round(Math.max(0, Duration.between(now, finishAt).toMillis()) / 100.0) / 10.0;
            return new Estimate(startAt, finishAt, remaining);
        }
    }

    /** A queued job's place and estimate. */
    public record Forecast(QueuePlace queue, Estimate estimate) {

        /**
         * Whether a client should hear about this forecast after {@code previous}: another place or number of
         * workers, a time that became known or unknown, or one that moved by more than 2 s and 10 % of the time
         * left until it (the estimates of a long queue wobble with every step; that is no news).
         */
        public boolean differsNotablyFrom(Forecast previous, Instant now) {
            return previous == null || !queue.equals(previous.queue)
                    || moved(estimate.startAt(), previous.estimate.startAt(), now)
                    || moved(estimate.finishAt(), previous.estimate.finishAt(), now);
        }

        private static boolean moved(Instant time, Instant before, Instant now) {
            if (time == null || before == null) {
                return (time == null) != (before == null);
            }
            long shiftMs = Math.abs(Duration.between(before, time).toMillis());
            long aheadMs = Math.max(0, Duration.between(now, time).toMillis());
            return shiftMs > Math.max(2_000, aheadMs / 10);
        }
    }

    /** How much each run heard moves the learnt overhead of its size (an exponentially weighted mean). */
    static final double OVERHEAD_WEIGHT = 0.3;
    /** Runs whose end this replica never hears are forgotten when this many are remembered. */
    private static final int MAX_REMEMBERED_RUNS = 10_000;

    private record Started(Instant at, Integer width, Integer height) {
    }

    private final JobStore store;
    private final WorkerRegistry workers;
    private final Supplier<Instant> clock;
    /** When each running job started and its size, from its RUNNING event as this replica heard it. */
    private final ConcurrentHashMap<UUID, Started> startedByJob = new ConcurrentHashMap<>();
    /**
     * Seconds a job of each size takes beyond its UNet steps at the measured step time (text encoder, VAE decode,
     * PNG, upload), learnt from the runs this replica heard start and succeed (every replica hears every event).
     */
    private final ConcurrentHashMap<String, Double> overheadBySize = new ConcurrentHashMap<>();
    private volatile Plan plan;
    /** Whether an answer is reading the queue now (see {@link #plan()}). */
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile long changedAtNanos = System.nanoTime() - MAX_AGE.toNanos();

    public QueueEstimates(JobStore store, WorkerRegistry workers) {
        this.store = store;
        this.workers = workers;
        this.clock = Instant::now;
    }

    /** Sets each job's {@link Job#queue} and {@link Job#estimate} (queued: both; running: the estimate). */
    public Uni<List<Job>> annotate(List<Job> jobs) {
        Instant now = clock.get();
        StepTimes steps = StepTimes.of(workers.live());
        boolean anyQueued = false;
        for (Job job : jobs) {
            job.queue = null;
            job.estimate = null;
            if (job.status == JobStatus.RUNNING) {
                String size = size(job.width, job.height);
                job.estimate = running(job.startedAt, job.currentStep, job.totalSteps, steps.of(job.workerId, size),
                        overheadBySize.getOrDefault(size, 0.0), now);
            }
            anyQueued |= job.status == JobStatus.QUEUED;
        }
        if (!anyQueued) {
            return Uni.createFrom().item(jobs);
        }
        return plan().map(plan -> {
            for (Job job : jobs) {
                if (job.status == JobStatus.QUEUED) {
                    Forecast forecast = plan.forecast(job.id, job.createdAt, job.width, job.height, job.numSteps,
                            job.numImages, now);
                    job.queue = forecast.queue();
                    job.estimate = forecast.estimate();
                }
            }
            return jobs;
        });
    }

    public Uni<Job> annotate(Job job) {
        return annotate(List.of(job)).replaceWith(job);
    }

    /**
     * A job this replica has just stored as queued joins the end of the line already read, so that the next
     * submission within {@link #MAX_AGE} sees it ahead; then it is annotated.
     */
    public Uni<Job> submitted(Job job) {
        Plan current = plan;
        if (current != null) {
            current.append(new JobStore.QueuedJob(job.id, job.createdAt, job.width, job.height, job.numSteps,
                    job.numImages), clock.get());
        }
        return annotate(job);
    }

    /** The forecasts of those of {@code jobIds} that were queued when the queue was last read. */
    public Uni<Map<UUID, Forecast>> forecasts(Collection<UUID> jobIds) {
        return plan().map(plan -> {
            Instant now = clock.get();
            Map<UUID, Forecast> forecasts = new LinkedHashMap<>();
            for (UUID id : jobIds) {
                JobStore.QueuedJob job = plan.job(id);
                if (job != null) {
                    forecasts.put(id, plan.forecast(id, job.createdAt(), job.width(), job.height(), job.numSteps(),
                            job.numImages(), now));
                }
            }
            return forecasts;
        });
    }

    /** One job's forecast, read from its row; null unless it is queued (or unknown). */
    public Uni<Forecast> forecast(UUID jobId) {
        return store.find(jobId).flatMap(job -> job == null || job.status != JobStatus.QUEUED
                ? Uni.createFrom().nullItem()
                : annotate(job).map(annotated -> new Forecast(annotated.queue, annotated.estimate)));
    }

    /**
     * A job event this replica heard: remembers when running jobs started, learns each size's overhead from the runs
     * that succeeded, marks the line read as out of date when a job left the queue, and yields a running or progress
     * event's estimate (as of the event's time; null for other events).
     */
    public Estimate heard(JobEvent event) {
        Instant at = event.at() != null ? event.at() : clock.get();
        switch (event.type()) {
            case RUNNING -> {
                queueChanged();
                Started started = new Started(at, event.width(), event.height());
                remember(event.jobId(), started);
                String size = size(started.width(), started.height());
                return running(at, event.step(), event.totalSteps(), stepSeconds(event.workerId(), size),
                        overheadBySize.getOrDefault(size, 0.0), at);
            }
            case PROGRESS -> {
                Started started = startedByJob.get(event.jobId());
                String size = started == null ? DEFAULT_SIZE : size(started.width(), started.height());
                // Its own rate once a step is done; the measured step time only before (or without its start).
                Double measured = started != null && event.step() > 0 ? null : stepSeconds(event.workerId(), size);
                return running(started == null ? null : started.at(), event.step(), event.totalSteps(), measured,
                        overheadBySize.getOrDefault(size, 0.0), at);
            }
            default -> {
                if (JobStateMachine.endsJob(event.type())) {
                    queueChanged(); // it may also have ended while queued (cancelled, expired)
                    Started started = startedByJob.remove(event.jobId());
                    if (event.type() == JobEventType.SUCCEEDED && started != null) {
                        learnOverhead(started, event, at);
                    }
                }
                return null;
            }
        }
    }

    private void remember(UUID jobId, Started started) {
        if (startedByJob.size() >= MAX_REMEMBERED_RUNS) {
            Instant longAgo = started.at().minus(Duration.ofHours(6));
            startedByJob.values().removeIf(old -> old.at().isBefore(longAgo));
        }
        startedByJob.put(jobId, started);
    }

    /** The run took this long; what its steps at the measured step time do not explain is its size's overhead. */
    private void learnOverhead(Started started, JobEvent succeeded, Instant at) {
        String size = size(started.width(), started.height());
        Double stepSeconds = stepSeconds(succeeded.workerId(), size);
        if (stepSeconds == null || succeeded.totalSteps() <= 0) {
            return;
        }
        double run = Duration.between(started.at(), at).toNanos() / 1e9;
        double overhead = Math.max(0, run - succeeded.totalSteps() * stepSeconds);
        overheadBySize.merge(size, overhead, (old, fresh) -> old + OVERHEAD_WEIGHT * (fresh - old));
    }

    /**
     * A running job's estimate: its remaining steps at its own rate so far ({@code now - startedAt} over the steps
     * done), or before its first step at {@code stepSeconds} (its worker's measured time; null: unknown), plus the
     * overhead its size has shown after the steps.
     */
    public static Estimate running(Instant startedAt, int step, int totalSteps, Double stepSeconds,
                                   double overheadSeconds, Instant now) {
        Double left = remainingSeconds(startedAt, step, totalSteps, stepSeconds, overheadSeconds, now);
        return Estimate.of(startedAt, left == null ? null : now.plusMillis(Math.round(left * 1000)), now);
    }

    /** The seconds a running job has left (see {@link #running}), or null. */
    static Double remainingSeconds(Instant startedAt, int step, int totalSteps, Double stepSeconds,
                                   double overheadSeconds, Instant now) {
        if (totalSteps <= 0) {
            return null;
        }
        int left = Math.max(0, totalSteps - step);
        if (step > 0 && startedAt != null) {
            double elapsed = Duration.between(startedAt, now).toNanos() / 1e9;
            if (elapsed > 0) {
                return left * elapsed / step + overheadSeconds;
            }
        }
        return stepSeconds == null ? null : left * stepSeconds + overheadSeconds;
    }

    /** The step time of {@code size} on the worker that runs a job, else the mean of the live workers; or null. */
    private Double stepSeconds(String workerId, String size) {
        return StepTimes.of(workers.live()).of(workerId, size);
    }

    private static String size(Integer width, Integer height) {
        return width == null || height == null ? DEFAULT_SIZE : WorkerHeartbeat.sizeKey(width, height);
    }

    /**
     * A job left the queue (this replica heard its RUNNING or its end): the line as read is out of date. The next
     * answer reads it again, and so does every answer for {@link #SETTLE} after the news: a RUNNING event reaches
     * this replica's streams before the database writer has stored it.
     */
    public void queueChanged() {
        changedAtNanos = System.nanoTime();
    }

    /**
     * The plan, read again when older than {@link #MAX_AGE} or made before the queue last changed. One read at a
     * time per replica: while one is running, other answers use the plan they have if it is younger than
     * {@link #STALE_LIMIT} instead of reading the whole queue again themselves. (Without that, every request that
     * arrived while a long queue was being read read it too: with 40,000 queued jobs and 8 requests in flight,
     * submissions fell from over 1,000/s to 137/s.) No answer waits on another request's read, so each one stays
     * on its own event loop.
     */
    private Uni<Plan> plan() {
        Plan current = plan;
        if (current != null && System.nanoTime() - current.madeAtNanos < MAX_AGE.toNanos()
                && current.madeAtNanos - changedAtNanos > SETTLE.toNanos()) {
            return Uni.createFrom().item(current);
        }
        boolean mine = reading.compareAndSet(false, true);
        if (!mine && current != null && System.nanoTime() - current.madeAtNanos < STALE_LIMIT.toNanos()) {
            return Uni.createFrom().item(current);
        }
        return store.queuedInOrder().flatMap(queue -> store.runningJobs().map(running -> {
            Plan made = Plan.make(clock.get(), queue, running, workers.live(), Map.copyOf(overheadBySize));
            plan = made;
            return made;
        })).onTermination().invoke(() -> {
            if (mine) {
                reading.set(false);
            }
        });
    }

    /** Mean seconds per UNet step by size over the live workers, and each worker's own. */
    record StepTimes(Map<String, Map<String, Double>> byWorker, Map<String, Double> mean) {
        static StepTimes of(List<WorkerRegistry.Seen> live) {
            Map<String, Map<String, Double>> byWorker = new HashMap<>();
            Map<String, double[]> sums = new HashMap<>();
            for (WorkerRegistry.Seen seen : live) {
                byWorker.put(seen.heartbeat().workerId(), seen.heartbeat().stepSeconds());
                seen.heartbeat().stepSeconds().forEach((size, seconds) -> {
                    if (seconds != null && seconds > 0) {
                        double[] sum = sums.computeIfAbsent(size, key -> new double[2]);
                        sum[0] += seconds;
                        sum[1]++;
                    }
                });
            }
            Map<String, Double> mean = new HashMap<>();
            sums.forEach((size, sum) -> mean.put(size, sum[0] / sum[1]));
            return new StepTimes(byWorker, mean);
        }

        Double of(String workerId, String size) {
            Double own = workerId == null ? null : byWorker.getOrDefault(workerId, Map.of()).get(size);
            return own != null && own > 0 ? own : mean.get(size);
        }
    }

    private record TimedJob(JobStore.QueuedJob job, Instant startAt, Instant finishAt) {
    }

    /**
     * The queue as read once, with each job's start and finish (UNKNOWN when not known), simulated in FIFO order:
     * each job goes to the worker free first. Jobs this replica accepts after the read are appended to it (so that
     * submissions in quick succession see each other); other replicas' are placed by their creation time.
     */
    static final class Plan {
        final long madeAtNanos = System.nanoTime();
        private final Instant madeAt;
        private final List<TimedJob> queue = new ArrayList<>();
        private final Map<UUID, Integer> indexById = new HashMap<>();
        /** When each worker is free after the jobs so far. */
        private final PriorityQueue<Instant> freeAt = new PriorityQueue<>();
        private final int liveWorkers;
        private final StepTimes steps;
        private final Map<String, Double> overheads;

        private Plan(Instant now, List<WorkerRegistry.Seen> live, List<JobStore.RunningProgress> running,
                     Map<String, Double> overheads) {
            this.madeAt = now;
            this.liveWorkers = live.size();
            this.steps = StepTimes.of(live);
            this.overheads = overheads;
            for (WorkerRegistry.Seen worker : live) {
                String id = worker.heartbeat().workerId();
                Instant free = now;
                for (JobStore.RunningProgress job : running) {
                    if (id.equals(job.workerId())) {
                        String size = size(job.width(), job.height());
                        Double left = remainingSeconds(job.startedAt(), job.step(), job.totalSteps(),
                                steps.of(id, size), overheads.getOrDefault(size, 0.0), now);
                        free = left == null ? UNKNOWN : now.plusMillis(Math.round(left * 1000));
                    }
                }
                freeAt.add(free);
            }
        }

        static Plan make(Instant now, List<JobStore.QueuedJob> queued, List<JobStore.RunningProgress> running,
                         List<WorkerRegistry.Seen> live, Map<String, Double> overheads) {
            Plan plan = new Plan(now, live, running, overheads);
            queued.forEach(job -> plan.append(job, now));
            return plan;
        }

        /** The job joins the end of the line (unless it is in it already); no worker starts it before {@code now}. */
        synchronized void append(JobStore.QueuedJob job, Instant now) {
            if (indexById.containsKey(job.id())) {
                return;
            }
            Instant free = freeAt.isEmpty() ? UNKNOWN : freeAt.poll();
            Instant start = free == UNKNOWN ? UNKNOWN : max(max(madeAt, now), free);
            Instant finish = finish(start, job.width(), job.height(), job.numSteps(), job.numImages());
            if (liveWorkers > 0) {
                freeAt.add(finish);
            }
            indexById.put(job.id(), queue.size());
            queue.add(new TimedJob(job, start, finish));
        }

        synchronized JobStore.QueuedJob job(UUID id) {
            Integer index = indexById.get(id);
            return index == null ? null : queue.get(index).job();
        }

        private Instant finish(Instant start, Integer width, Integer height, int numSteps, int numImages) {
            String size = size(width, height);
            Double stepSeconds = steps.mean().get(size);
            if (start == UNKNOWN || stepSeconds == null) {
                return UNKNOWN;
            }
            double seconds = numSteps * stepSeconds * Math.max(1, numImages) + overheads.getOrDefault(size, 0.0);
            return start.plusMillis(Math.round(seconds * 1000));
        }

        /** The forecast of a job, placed by the plan or, when not in it, by its creation time. */
        synchronized Forecast forecast(UUID id, Instant createdAt, Integer width, Integer height, int numSteps,
                                       int numImages, Instant now) {
            Integer index = indexById.get(id);
            int ahead = index != null ? index : createdBefore(createdAt);
            Instant start;
            Instant finish;
            if (index != null) {
                start = queue.get(index).startAt();
                finish = queue.get(index).finishAt();
            } else {
                start = ahead < queue.size() ? queue.get(ahead).startAt()
                        : freeAt.isEmpty() ? UNKNOWN : freeAt.peek();
                finish = finish(start, width, height, numSteps, numImages);
            }
            Instant startAt = start == UNKNOWN ? null : max(now, start);
            Instant finishAt = finish == UNKNOWN ? null : max(now, finish);
            return new Forecast(new QueuePlace(ahead + 1, ahead, liveWorkers), Estimate.of(startAt, finishAt, now));
        }

        /** How many of the planned jobs were created before {@code createdAt} (they are in that order). */
        private int createdBefore(Instant createdAt) {
            int low = 0;
            int high = queue.size();
            while (low < high) {
                int middle = (low + high) >>> 1;
                if (createdAt != null && queue.get(middle).job().createdAt().isAfter(createdAt)) {
                    high = middle;
                } else {
                    low = middle + 1;
                }
            }
            return low;
        }

        private static Instant max(Instant a, Instant b) {
            return a.isAfter(b) ? a : b;
        }
    }
}
