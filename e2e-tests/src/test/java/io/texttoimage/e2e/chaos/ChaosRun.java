package io.texttoimage.e2e.chaos;

import io.texttoimage.e2e.chaos.ChaosClient.Submission;
import io.texttoimage.e2e.chaos.Scenario.FaultKind;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One chaos run on a started {@link ChaosStack}: the load (every submission retried with its idempotency key until
 * accepted, every accepted job followed over SSE), the faults of the {@link Scenario} one after another while the
 * load runs, a supervisor that restarts a generator which ended by itself (the poison job's victims), then the wait
 * until every job has ended (or the bound has passed). {@link ChaosChecks} judges what it recorded.
 */
final class ChaosRun {
    private static final List<String> SCHEDULERS = List.of("pndm", "ddim", "euler", "euler_a", "dpmpp_2m");

    final ChaosStack stack;
    final Scenario scenario;
    final ChaosClient client;
    /** Every submission: the load's, the poison job, and the probes and long jobs the faults add. */
    final List<Submission> submissions = new CopyOnWriteArrayList<>();
    final List<Fault> faults = new CopyOnWriteArrayList<>();
    final Submission poison;
    /** Generators that died on the poison job (exit 137 without our kill). */
    final AtomicInteger selfExits = new AtomicInteger();
    /** Generator starts that failed (status 1; one started while the broker is down waits for it, not counted). */
    final AtomicInteger failedStarts = new AtomicInteger();
    final List<String> faultErrors = new CopyOnWriteArrayList<>();
    Instant startedAt;
    Instant loadEndedAt;
    Instant settledAt;
    private final Random random;
    private final Consumer<String> log;
    private final ConcurrentLinkedQueue<Submission> pending = new ConcurrentLinkedQueue<>();
    private final List<Thread> clients = Collections.synchronizedList(new ArrayList<>());
    /** Services a fault is holding down: the supervisor leaves them alone. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;
    private volatile boolean faultsDone;
    private final AtomicInteger extraJobs = new AtomicInteger();

    ChaosRun(ChaosStack stack, Scenario scenario, long seed, Consumer<String> log) {
        this.stack = stack;
        this.scenario = scenario;
        this.log = log;
        this.random = new Random(seed);
        this.client = new ChaosClient(stack.gateways().stream().map(HostedService::baseUri).toList(), stack.adminKey);
        for (int i = 0; i < scenario.jobs(); i++) {
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("prompt", "chaos " + stack.runId + " job " + i + " a lighthouse at dusk, oil painting");
            request.put("num_steps", scenario.minSteps() + random.nextInt(scenario.maxSteps() - scenario.minSteps() + 1));
            request.put("guidance_scale", 7.5);
            request.put("width", 64);
            request.put("height", 64);
            request.put("scheduler", SCHEDULERS.get(random.nextInt(SCHEDULERS.size())));
            request.put("seed", (long) random.nextInt(1_000_000));
            request.put("num_images", i % 5 == 0 ? 2 : 1);
            submissions.add(new Submission(i, request));
        }
        // The poison job goes in early (a fifth of the way), so the jobs behind it show whether they starve.
        Map<String, Object> poisonRequest = new LinkedHashMap<>(submissions.get(0).request);
        poisonRequest.put("prompt", "chaos " + stack.runId + " poison " + stack.poisonMarker);
        poisonRequest.put("num_images", 1);
        poison = new Submission(-1, poisonRequest);
        submissions.add(Math.max(1, scenario.jobs() / 5), poison);
        pending.addAll(submissions);
    }

    void run() throws Exception {
        startedAt = Instant.now();
        Thread supervisor = Thread.ofPlatform().daemon().name("chaos-supervisor").start(this::supervise);
        Thread load = Thread.ofPlatform().daemon().name("chaos-load").start(this::load);
        try {
            // Let the load reach a steady state before the first fault.
            Thread.sleep(Math.min(15_000, scenario.loadDuration().toMillis() / 8));
            for (FaultKind kind : scenario.faults()) {
                try {
                    inject(kind);
                    Fault last = faults.isEmpty() ? null : faults.get(faults.size() - 1);
                    if (last != null && last.probe == null) {
                        // what a new client sees right after the heal: its submission, then its (short) job
                        last.probe = extraJob("probe after " + last.name, 4);
                    }
                } catch (Exception e) {
                    // recorded, judged by the checks: the run goes on with what is left
                    log.accept("fault " + kind + " could not be injected or healed: " + e);
                    faultErrors.add(kind + ": " + e.getMessage());
                }
                Thread.sleep(scenario.pauseBetweenFaults().toMillis());
            }
            faultsDone = true;
            load.join();
            loadEndedAt = Instant.now();
            log.accept("all " + submissions.size() + " submissions dispatched; waiting for their jobs to end");
            Instant bound = Instant.now().plus(scenario.jobBound());
            for (Thread thread : List.copyOf(clients)) {
                long left = Duration.between(Instant.now(), bound).toMillis();
                if (left > 0) {
                    thread.join(left);
                }
            }
            settledAt = Instant.now();
        } finally {
            running = false;
            supervisor.interrupt();
        }
    }

    /** Dispatches the pending submissions evenly over the load duration (a burst fault takes some at once). */
    private void load() {
        long interval = scenario.loadDuration().toMillis() / Math.max(1, submissions.size());
        try {
            Submission next;
            while ((next = pending.poll()) != null) {
                dispatch(next);
                Thread.sleep(interval);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A job of the run's kind with {@code steps} steps, added to the run (and to its checks), dispatched now. */
    private Submission extraJob(String what, int steps) {
        Map<String, Object> request = new LinkedHashMap<>(submissions.get(0).request);
        int index = extraJobs.incrementAndGet();
        request.put("prompt", "chaos " + stack.runId + " " + what + " " + index);
        request.put("num_steps", steps);
        request.put("num_images", 1);
        request.put("seed", (long) random.nextInt(1_000_000));
        Submission submission = new Submission(10_000 + index, request);
        submissions.add(submission);
        dispatch(submission);
        return submission;
    }

    private void dispatch(Submission submission) {
        clients.add(Thread.ofVirtual().name("client-" + submission.index).start(() -> {
            try {
                if (client.submit(submission, Duration.ofMinutes(3))) {
                    client.follow(submission, Instant.now().plus(scenario.jobBound()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    /** A generator that exited by itself (poisoned: exit 137 without our kill) is started again, as a cluster would. */
    private void supervise() {
        while (running) {
            try {
                Thread.sleep(500);
                for (HostedService generator : stack.generators()) {
                    if (!held.contains(generator.name()) && !generator.isAlive()) {
                        Integer status = generator.exitStatus();
                        (status != null && status == 137 ? selfExits : failedStarts).incrementAndGet();
                        log.accept(generator.name() + " exited by itself (status " + status + "); starting it again");
                        try {
                            restart(generator);
                        } catch (IOException e) {
                            log.accept(generator.name() + " did not come up: " + e.getMessage().lines().findFirst().orElse(""));
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                log.accept("supervisor: " + e);
            }
        }
    }

    private void restart(HostedService service) throws IOException, InterruptedException {
        service.start();
        service.awaitReady(Duration.ofMinutes(3));
        log.accept(service.name() + " ready again (start " + service.starts() + ")");
    }

    private void inject(FaultKind kind) throws Exception {
        log.accept("fault: " + kind.description);
        switch (kind) {
            case GENERATOR_KILL -> killGeneratorMidJob();
            case GATEWAY_KILL_IN_BURST -> killGatewayInBurst();
            case STORAGE_ADAPTER_KILL -> killAndRestart(stack.service("storage"), "storage adapter SIGKILL", "");
            case RABBITMQ_KILL -> {
                Fault fault = record(new Fault("RabbitMQ kill -9", "node " + stack.rabbit.nodeName()));
                stack.rabbit.kill9();
                Thread.sleep(3_000);
                // Recovering its queues takes RabbitMQ well over a minute on a loaded 2-core machine.
                stack.rabbit.start(Duration.ofMinutes(4));
                fault.healed();
            }
            case POSTGRES_RESTART -> {
                Fault fault = record(new Fault("PostgreSQL restart", "pg_ctl stop -m fast, 5 s down, start"));
                stack.postgres.stop();
                Thread.sleep(5_000);
                stack.postgres.start();
                fault.healed();
            }
            case S3_STOP -> {
                Fault fault = record(new Fault("S3 stopped 30 s", "S3Proxy stopped and started on its folder"));
                stack.stopS3();
                Thread.sleep(30_000);
                stack.startS3();
                fault.healed();
            }
            case PARTITION -> partition();
        }
    }

    private Fault record(Fault fault) {
        faults.add(fault);
        return fault;
    }

    /** Kills the generator that is running a job once its record says it passed a random step, then restarts it. */
    private void killGeneratorMidJob() throws Exception {
        MidJob target = generatorMidJob();
        HostedService victim = target.generator();
        held.add(victim.name());
        try {
            Fault fault = record(new Fault("generator SIGKILL", victim.name()));
            fault.hit = target.hit();
            victim.kill9();
            Thread.sleep(2_000);
            try {
                restart(victim);
            } catch (IOException e) {
                if (!Integer.valueOf(137).equals(victim.exitStatus())) {
                    throw e;
                }
                // It took the poison job as soon as it was up: the supervisor starts it again (and counts it).
                log.accept(victim.name() + " took the poison job while starting; the supervisor takes over");
            }
            fault.healed();
        } finally {
            held.remove(victim.name());
        }
    }

    private void killGatewayInBurst() throws Exception {
        HostedService gateway = stack.gateways().get(random.nextInt(stack.gateways().size()));
        List<Submission> burst = new ArrayList<>();
        for (int i = 0; i < scenario.burstSize(); i++) {
            Submission next = pending.poll();
            if (next != null) {
                burst.add(next);
            }
        }
        burst.forEach(this::dispatch);
        Thread.sleep(100 + random.nextInt(300));
        killAndRestart(gateway, "gateway SIGKILL in a burst", burst.size() + " submissions in flight");
    }

    private void killAndRestart(HostedService service, String name, String hit) throws Exception {
        Fault fault = record(new Fault(name, service.name()));
        fault.hit = hit;
        service.kill9();
        Thread.sleep(3_000);
        restart(service);
        fault.healed();
    }

    /** Cuts a generator off while it runs a job: the broker may hand the job to the other one. */
    private void partition() throws Exception {
        MidJob target = generatorMidJob();
        HostedService victim = target.generator();
        held.add(victim.name());
        try {
            Fault fault = record(new Fault("partition 20 s", victim.name() + " link " + victim.host().outerLink() + " down"));
            fault.hit = target.hit();
            stack.network.cut(victim.host());
            Thread.sleep(20_000);
            stack.network.heal(victim.host());
            fault.healed();
        } finally {
            held.remove(victim.name());
        }
    }

    record RunningJob(String id, String worker, int step, int total) {
    }

    /** The generator a mid-job fault strikes and what it hit there. */
    private record MidJob(HostedService generator, String hit) {
    }

    /** A generator running a job (a random one preferred), for the faults that strike in the middle of one. */
    private MidJob generatorMidJob() throws Exception {
        List<HostedService> generators = stack.generators();
        HostedService preferred = generators.get(random.nextInt(generators.size()));
        RunningJob job = ensureRunningJob(preferred);
        return job == null ? new MidJob(preferred, "no job was running")
                : new MidJob(stack.service(job.worker()),
                        "job " + job.id() + " at step " + job.step() + "/" + job.total());
    }

    /** A job running mid-way, from the load if there is one; else a long job of its own is submitted for the fault. */
    private RunningJob ensureRunningJob(HostedService preferred) throws InterruptedException {
        RunningJob job = awaitRunningJob(preferred, Duration.ofSeconds(20));
        if (job == null) {
            extraJob("long job for a fault", 150); // the most a request may ask for
            job = awaitRunningJob(preferred, Duration.ofSeconds(60));
        }
        return job;
    }

    /**
     * A job running on {@code preferred} (else on any generator) past a random step of its run, from the database;
     * null if none shows up in time.
     */
    private RunningJob awaitRunningJob(HostedService preferred, Duration within) throws InterruptedException {
        Instant deadline = Instant.now().plus(within);
        RunningJob any = null;
        while (Instant.now().isBefore(deadline)) {
            try (Connection connection = database();
                 PreparedStatement query = connection.prepareStatement("SELECT id, worker_id, current_step, total_steps"
                         + " FROM generated_images WHERE status = 'RUNNING' AND worker_id IS NOT NULL")) {
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        String worker = rows.getString(2);
                        String service = worker.contains("@") ? worker.substring(0, worker.indexOf('@')) : worker;
                        int step = rows.getInt(3);
                        int total = rows.getInt(4);
                        // a random step of the first half: the kill lands in the middle of the denoising loop
                        if (step >= 1 + random.nextInt(Math.max(1, total / 2))) {
                            RunningJob job = new RunningJob(rows.getString(1), service, step, total);
                            if (service.equals(preferred.name())) {
                                return job;
                            }
                            any = job;
                        }
                    }
                }
            } catch (SQLException e) {
                // the database may be restarting: try again
            }
            if (any != null && Instant.now().isAfter(deadline.minus(within.dividedBy(2)))) {
                return any;
            }
            Thread.sleep(100);
        }
        return any;
    }

    Connection database() throws SQLException {
        return DriverManager.getConnection(stack.database.jdbcUrl(), stack.database.user(), stack.database.password());
    }
}
