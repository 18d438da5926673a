package io.texttoimage.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How the pipeline's sessions were created: the wall time of all of them (they are created in parallel unless
 * {@link OrtSettings#parallelLoad()} is off) and, per component, its own time and where its graph came from.
 */
public record LoadReport(Duration total, boolean parallel, List<ComponentLoad> components) {

    /** Where a session's graph came from. */
    public enum Source {
        /** the optimised graph stored by an earlier start (no optimisation at load) */
        CACHE,
        /**
         * the model's graph, optimised now because the cache lacked it; {@link StableDiffusionPipeline#storeOptimisedGraphs}
         * stores it for the next start
         */
        OPTIMISED_TO_STORE,
        /** the model's graph, optimised now (no cache, or one it does not serve: the CUDA provider, level DISABLE) */
        OPTIMISED
    }

    public record ComponentLoad(String component, Duration creation, Source source) {
    }

    public LoadReport {
        components = List.copyOf(components);
    }

    /** One line for logs and benchmarks: {@code total=812ms parallel text_encoder=301ms(CACHE) ...}. */
    public String summary() {
        return "sessions=" + total.toMillis() + "ms parallel=" + parallel + " " + components.stream()
                .map(c -> c.component() + "=" + c.creation().toMillis() + "ms(" + c.source() + ")")
                .collect(Collectors.joining(" "));
    }
}
