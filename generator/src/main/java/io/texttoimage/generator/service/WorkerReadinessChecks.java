package io.texttoimage.generator.service;

import io.texttoimage.broker.BrokerConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the model is loaded and the broker connection is open; liveness is never tied to the model. */
public class WorkerReadinessChecks {

    @Readiness
    @ApplicationScoped
    public static class ModelCheck implements HealthCheck {
        private final ModelService model;

        public ModelCheck(ModelService model) {
            this.model = model;
        }

        @Override
        public HealthCheckResponse call() {
            return switch (model.state()) {
                case LOADING -> HealthCheckResponse.builder().name("model loading").down().build();
                // Final: the model is loaded once. "message" and "reason" let a launcher stop waiting and say why.
                case FAILED -> HealthCheckResponse.builder().name("model failed").down()
                        .withData("error", String.valueOf(model.failure()))
                        .withData("message", String.valueOf(model.failureMessage()))
                        .withData("reason", String.valueOf(model.failureReason())).build();
                case READY -> {
                    var info = model.generator().info();
                    yield HealthCheckResponse.builder()
                            .name("model ready: " + info.name() + " on " + info.executionProvider()).up()
                            .withData("model", info.name())
                            .withData("provider", info.executionProvider()).build();
                }
            };
        }
    }

    /** Up once the worker is subscribed to the job queue (after the model is loaded and warmed up). */
    @Readiness
    @ApplicationScoped
    public static class JobConsumerCheck implements HealthCheck {
        private final JobWorker worker;

        public JobConsumerCheck(JobWorker worker) {
            this.worker = worker;
        }

        @Override
        public HealthCheckResponse call() {
            return HealthCheckResponse.builder().name("jobs").status(worker.isConsuming())
                    .withData("worker", worker.workerId()).build();
        }
    }

    @Readiness
    @ApplicationScoped
    public static class RabbitCheck implements HealthCheck {
        private final BrokerConnection broker;

        public RabbitCheck(BrokerConnection broker) {
            this.broker = broker;
        }

        @Override
        public HealthCheckResponse call() {
            return HealthCheckResponse.named("rabbitmq").status(broker.isOpen()).build();
        }
    }
}
