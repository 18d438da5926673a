package io.texttoimage.generator.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.texttoimage.broker.BrokerConnection;
import io.texttoimage.broker.JobAttempts;
import io.texttoimage.broker.Role;
import io.texttoimage.broker.Topology;
import io.texttoimage.broker.TopologyDeclarer;
import io.texttoimage.contracts.CancelRequested;
import io.texttoimage.contracts.GenerationRequested;
import io.texttoimage.contracts.SchedulerNames;
import io.texttoimage.pipeline.GenerationCancelledException;
import io.texttoimage.pipeline.GenerationRequest;
import io.texttoimage.pipeline.GenerationResult;
import io.texttoimage.pipeline.InvalidRequestException;
import io.texttoimage.pipeline.ModelInfo;
import io.texttoimage.pipeline.ProgressListener;
import io.texttoimage.pipeline.PromptLengths;
import io.texttoimage.pipeline.preview.LatentPreview;
import io.texttoimage.pipeline.tokenizer.PromptTokens;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Takes jobs from the shared durable queue {@code <prefix>.generation-requests} with prefetch 1, runs them one at a
 * time on its own thread (never the event loop or the AMQP dispatch thread), reports every state change on the topic
 * exchange {@code <prefix>.job-events}, and acknowledges a job only once its images are stored and its terminal event
 * is confirmed. A worker that dies holding a job loses its connection, so the broker gives the job to another worker;
 * attempts are bounded ({@link JobAttempts}): after the last one the job goes to the dead-letter queue, where the
 * gateway fails it.
 */
@ApplicationScoped
public class JobWorker {
    private static final Logger LOG = Logger.getLogger(JobWorker.class);
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);

    private final BrokerConnection broker;
    private final Topology topology;
    private final GeneratorConfig config;
    private final ModelService model;
    private final CancelledJobs cancelled;
    private final ConfirmedPublisher publisher;
    private final ImageStoreClient imageStore;
    private final ObjectMapper json;
    private final WorkerMetrics metrics;
    private final JobAttempts attempts;
    private final PoisonSwitch poison;
    private final WorkerActivity activity;
    private final String workerId;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("t2i-job-runner").daemon().factory());

    private volatile boolean shuttingDown;
    private volatile Channel jobsChannel;
    private volatile String consumerTag;

    public JobWorker(BrokerConnection broker, Topology topology, GeneratorConfig config, ModelService model,
                     CancelledJobs cancelled, ConfirmedPublisher publisher, ImageStoreClient imageStore,
                     ObjectMapper json, MeterRegistry registry, PoisonSwitch poison, WorkerActivity activity) {
        this.broker = broker;
        this.topology = topology;
        this.config = config;
        this.model = model;
        this.cancelled = cancelled;
        this.publisher = publisher;
        this.imageStore = imageStore;
        this.json = json;
        this.metrics = new WorkerMetrics(registry);
        this.attempts = new JobAttempts(topology);
        this.poison = poison;
        this.activity = activity;
        this.workerId = config.workerId().filter(id -> !id.isBlank()).orElseGet(JobWorker::defaultWorkerId);
    }

    public String workerId() {
        return workerId;
    }

    /** Subscribed to the job queue and not shutting down. */
    public boolean isConsuming() {
        Channel channel = jobsChannel;
        return !shuttingDown && channel != null && channel.isOpen();
    }

    /**
     * Cancels are heard from the start (jobs cancelled while the model loads are remembered); jobs wait for the model.
     * A broker that is not there yet is waited for (readiness stays DOWN), the model loads meanwhile.
     */
    void onStart(@Observes StartupEvent event) throws IOException {
        broker.start(connection -> {
            TopologyDeclarer.declare(connection, topology.startupOf(Role.GENERATOR));
            listenForCancels();
            imageStore.start();
            model.whenLoaded().thenRun(this::startConsumingJobs);
        });
    }

    private void listenForCancels() throws IOException {
        Channel channel = broker.get().createChannel();
        String queue = TopologyDeclarer.declareQueue(channel, topology.cancelQueue());
        channel.basicConsume(queue, true, new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                try {
                    CancelRequested cancel = json.readValue(body, CancelRequested.class);
                    if (cancel.jobId() != null) {
                        cancelled.add(cancel.jobId());
                        LOG.debugf("Cancel requested for job %s", cancel.jobId());
                    }
                } catch (IOException e) {
                    LOG.warnf("Ignoring an unreadable CancelRequested message: %s", e.getMessage());
                }
            }
        });
    }

    private void startConsumingJobs() {
        if (shuttingDown) {
            return;
        }
        warmUpJobPath();
        try {
            Channel channel = broker.get().createChannel();
            // Prefetch 1: one job at a time per model instance, the rest stay in the queue for other workers.
            channel.basicQos(1);
            consumerTag = channel.basicConsume(topology.workQueue(), false,
                    "generator-" + workerId, new DefaultConsumer(channel) {
                        @Override
                        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props,
                                                   byte[] body) throws IOException {
                            try {
                                runner.execute(() -> runJob(envelope, props, body));
                            } catch (RejectedExecutionException e) {
                                // Arrived while shutting down: give it straight back.
                                getChannel().basicNack(envelope.getDeliveryTag(), false, true);
                            }
                        }
                    });
            jobsChannel = channel;
            LOG.infof("Worker %s is taking jobs from %s", workerId, topology.workQueue());
        } catch (IOException e) {
            LOG.errorf(e, "Could not start consuming jobs");
        }
    }

    /**
     * Touches everything a job passes through before the first step (JSON mapping of the contracts, the request
     * check, the confirm channel), so that the first job on an idle worker starts as fast as later ones.
     */
    private void warmUpJobPath() {
        try {
            GenerationRequested sample = new GenerationRequested(GenerationRequested.SCHEMA_VERSION, UUID.randomUUID(),
                    "warm-up", null, 1, 7.5, null, null, null, 0L, 1, java.time.Instant.now());
            GenerationRequested parsed = json.readValue(json.writeValueAsBytes(sample), GenerationRequested.class);
            model.generator().check(new GenerationRequest(parsed.prompt(), parsed.negativePrompt(), parsed.width(),
                    parsed.height(), parsed.numSteps(), parsed.guidanceScale(), parsed.scheduler(), parsed.seed(),
                    parsed.numImages(), null));
            json.writeValueAsBytes(new io.texttoimage.contracts.JobEvent(1, sample.jobId(),
                    io.texttoimage.contracts.JobEventType.RUNNING, 1, 0, 1, workerId, List.of(), null, 64, 64, "pndm",
                    java.time.Instant.now()));
            publisher.awaitConfirms(CONFIRM_TIMEOUT); // opens the confirm-mode channel now
        } catch (Exception e) {
            LOG.debugf("Warming up the job path: %s", e.getMessage());
        }
    }

    private void runJob(Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        long deliveryTag = envelope.getDeliveryTag();
        JobAttempts.Decision decision = attempts.decide(envelope, props);
        if (decision.action() != JobAttempts.Action.RUN) {
            passOn(deliveryTag, decision, body);
            return;
        }
        GenerationRequested job;
        try {
            job = json.readValue(body, GenerationRequested.class);
        } catch (IOException e) {
            rejectUnreadable(deliveryTag, body, e);
            return;
        }
        if (job.jobId() == null) {
            rejectUnreadable(deliveryTag, body, new IOException("job_id is missing"));
            return;
        }
        JobEvents events = new JobEvents(publisher, json, topology.jobEventsExchange(), job.jobId(), workerId,
                envelope.isRedeliver(), decision.attempt());
        Outcome outcome;
        try {
            outcome = execute(job, events);
            publisher.awaitConfirms(CONFIRM_TIMEOUT);
        } catch (Exception e) {
            // Events could not be published (broker trouble): let another attempt report properly. One line, no
            // stack trace when the broker is simply gone: the connection's recovery logs the outage itself.
            if (lostTheBroker(e)) {
                LOG.warnf("Job %s: could not report its outcome, the broker connection was lost (%s); it goes back "
                        + "to the queue", job.jobId(), rootMessage(e));
            } else {
                LOG.errorf(e, "Job %s: could not report its outcome; requeueing", job.jobId());
            }
            outcome = Outcome.REQUEUED;
        } finally {
            activity.finished();
        }
        settle(deliveryTag, outcome);
        metrics.count(outcome);
    }

    enum Outcome { SUCCEEDED, FAILED, CANCELLED, REQUEUED }

    /** Runs one job to a terminal event (or decides to requeue it); never throws for a job's own failure. */
    private Outcome execute(GenerationRequested job, JobEvents events) throws IOException, InterruptedException {
        UUID jobId = job.jobId();
        if (cancelled.contains(jobId)) {
            LOG.infof("Job %s was cancelled while queued; skipping it", jobId);
            events.cancelled(0, job.numSteps());
            return Outcome.CANCELLED;
        }
        if (job.schemaVersion() > GenerationRequested.SCHEMA_VERSION) {
            events.failed(0, job.numSteps(), "This worker does not understand request schema version "
                    + job.schemaVersion() + ".");
            return Outcome.FAILED;
        }
        ImageGenerator generator = model.generator();
        ModelInfo info = generator.info();
        GenerationRequest request;
        int evaluations;
        PromptLengths promptLengths;
        try {
            request = new GenerationRequest(job.prompt(), job.negativePrompt(), job.width(), job.height(),
                    job.numSteps(), job.guidanceScale(), job.scheduler(), job.seed(), job.numImages(), null);
            evaluations = generator.check(request);
            promptLengths = generator.measurePrompts(request);
        } catch (InvalidRequestException e) {
            events.failed(0, job.numSteps(), e.getMessage());
            return Outcome.FAILED;
        } catch (RuntimeException e) {
            // e.g. the model folder became unreadable: report it rather than requeue the job forever.
            LOG.errorf(e, "Job %s could not be checked", jobId);
            events.failed(0, job.numSteps(), "The request could not be checked: " + oneLine(e) + ".");
            return Outcome.FAILED;
        }
        int width = job.width() != null ? job.width() : info.defaultWidth();
        int height = job.height() != null ? job.height() : info.defaultHeight();
        // the canonical name, also when the request used an alias such as "DPM++ 2M Karras"
        String scheduler = SchedulerNames.canonical(request.scheduler()).orElse(info.defaultScheduler());
        // Progress counts UNet evaluations (PNDM runs one more than the requested steps), so RUNNING announces the
        // same total that the PROGRESS events will reach.
        warnIfTruncated(jobId, promptLengths);
        events.running(evaluations, width, height, scheduler, JobEvents.truncationOf(promptLengths));
        activity.started(jobId, width, height, evaluations);
        if (poison.poisons(job.prompt())) {
            publisher.awaitConfirms(CONFIRM_TIMEOUT); // the record says running when this worker dies
            poison.dieIfPoisoned(jobId, job.prompt());
        }

        StepReporter progress = new StepReporter(events::progress, config.progressInterval(), metrics.stepTimer());
        ProgressListener reporting = job.previews() && sendsPreviews(info)
                ? new PreviewReporter(progress, events::preview, config.previews()) : progress;
        GenerationResult result;
        Timer.Sample jobTime = metrics.startJob();
        try {
            result = generator.generate(request, activity.tracking(reporting), () -> shouldStop(jobId));
        } catch (GenerationCancelledException e) {
            if (cancelled.contains(jobId) || config.onShutdown() != GeneratorConfig.ShutdownMode.REQUEUE) {
                events.cancelled(e.completedSteps(), progress.totalSteps(evaluations));
                return Outcome.CANCELLED;
            }
            LOG.infof("Job %s stopped after %d steps for shutdown; handing it back to the queue", jobId,
                    e.completedSteps());
            return Outcome.REQUEUED;
        } catch (InvalidRequestException e) {
            events.failed(progress.lastStep(), progress.totalSteps(evaluations), e.getMessage());
            return Outcome.FAILED;
        } catch (UncheckedIOException e) {
            throw e.getCause(); // a PROGRESS event could not be published: broker trouble, not the job's fault
        } catch (RuntimeException e) {
            if (lostTheBroker(e)) {
                // A PROGRESS event met a closed connection (the client throws AlreadyClosedException, unchecked):
                // not the job's fault either. Before, it was reported as "Generation failed" — two ERRORs with
                // stack traces, and a job failed for good had the failed event got through.
                throw new IOException("the broker connection was lost while the job ran", e);
            }
            // An ONNX Runtime or model error would fail again on any worker: report it instead of looping.
            LOG.errorf(e, "Job %s failed", jobId);
            events.failed(progress.lastStep(), progress.totalSteps(evaluations),
                    "Generation failed: " + oneLine(e) + ".");
            return Outcome.FAILED;
        }
        int totalSteps = progress.totalSteps(evaluations);
        try {
            List<String> keys = imageStore.store(jobId, result.images(), config.storeTimeout());
            events.succeeded(totalSteps, keys);
            metrics.stopJob(jobTime);
            LOG.infof("Job %s succeeded in %d ms (%d image(s))", jobId, result.elapsed().toMillis(), keys.size());
            return Outcome.SUCCEEDED;
        } catch (ImageStoreClient.StoreFailedException e) {
            events.failed(totalSteps, totalSteps, e.getMessage());
            return Outcome.FAILED;
        }
    }

    /**
     * diffusers' warning, with counts only: prompts are users' data and stay out of the logs (the dropped text is in
     * the RUNNING event and the job's record, for whoever may read the job).
     */
    private static void warnIfTruncated(UUID jobId, PromptLengths lengths) {
        warnIfTruncated(jobId, "prompt", lengths.prompt());
        warnIfTruncated(jobId, "negative prompt", lengths.negativePrompt());
    }

    private static void warnIfTruncated(UUID jobId, String which, PromptTokens tokens) {
        if (tokens != null && tokens.truncated()) {
            LOG.warnf("Job %s: part of the %s was truncated because CLIP can only handle sequences up to %d tokens "
                    + "(%d given, the last %d ignored)", jobId, which, tokens.maxTokens(), tokens.tokens(),
                    tokens.droppedTokens());
        }
    }

    /** Whether this worker sends previews to jobs that ask: enabled, and a model whose latents it can preview. */
    boolean sendsPreviews(ModelInfo info) {
        return config.previews().enabled() && info != null && LatentPreview.supports(info.latentChannels());
    }

    private boolean shouldStop(UUID jobId) {
        return cancelled.contains(jobId)
                || shuttingDown && config.onShutdown() == GeneratorConfig.ShutdownMode.REQUEUE;
    }

    /** Whether the failure, or one of its causes, is the broker connection or channel going away. */
    static boolean lostTheBroker(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ShutdownSignalException) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    private void settle(long deliveryTag, Outcome outcome) {
        Channel channel = jobsChannel;
        try {
            if (outcome == Outcome.REQUEUED) {
                channel.basicNack(deliveryTag, false, true);
            } else {
                channel.basicAck(deliveryTag, false);
            }
        } catch (IOException | RuntimeException e) {
            // The channel is gone: the broker requeues the unacknowledged job by itself.
            LOG.warnf("Could not settle delivery %d (%s): %s", deliveryTag, outcome, e.getMessage());
        }
    }

    /**
     * A delivery this worker does not run: an uncounted redelivery is re-published with its count, a job past its
     * last attempt goes to the dead-letter exchange. Acknowledged only once the copy is confirmed; otherwise it is
     * handed back (the next worker decides again).
     */
    private void passOn(long deliveryTag, JobAttempts.Decision decision, byte[] body) {
        try {
            publisher.publish(decision.exchange(), decision.routingKey(), decision.properties(), body);
            publisher.awaitConfirms(CONFIRM_TIMEOUT);
            LOG.infof("Job message %s: %d attempt(s) ended unacknowledged; %s", decision.properties().getMessageId(),
                    decision.attempt(), decision.action() == JobAttempts.Action.GIVE_UP
                            ? "giving up (dead-lettered)" : "re-queued with the count");
            settle(deliveryTag, Outcome.FAILED);
        } catch (IOException | RuntimeException e) {
            LOG.errorf(e, "Could not pass on a job message after %d attempt(s); handing it back", decision.attempt());
            settle(deliveryTag, Outcome.REQUEUED);
        }
    }

    /** Not JSON or no job id: nobody can be told, and retrying cannot help. Drop it with a log line. */
    private void rejectUnreadable(long deliveryTag, byte[] body, Exception e) {
        String jobId = "unknown";
        try {
            JsonNode node = json.readTree(body);
            if (node != null && node.hasNonNull("job_id")) {
                jobId = node.get("job_id").asText();
            }
        } catch (IOException ignored) {
            // not JSON at all
        }
        LOG.errorf("Dropping an unreadable job message (job %s): %s", jobId, e.getMessage());
        metrics.count(Outcome.FAILED);
        settle(deliveryTag, Outcome.FAILED);
    }

    /**
     * Graceful shutdown, before the model and the connection close (lower priority runs first): stop taking jobs,
     * then either stop the running job between steps and requeue it (default: the job moves to a live worker at
     * once) or let it finish within {@code shutdown-grace}.
     */
    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        shuttingDown = true;
        Channel channel = jobsChannel;
        if (channel != null && consumerTag != null) {
            try {
                channel.basicCancel(consumerTag);
            } catch (IOException | RuntimeException e) {
                LOG.debugf("Cancelling the job consumer: %s", e.getMessage());
            }
        }
        runner.shutdown();
        try {
            if (!runner.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("The running job did not stop within %s; the broker will requeue it", config.shutdownGrace());
                runner.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String first = message.strip().lines().findFirst().orElse(message);
        return first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
    }

    private static String defaultWorkerId() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "generator";
            }
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
