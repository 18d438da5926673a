package io.texttoimage.generator.service;

import io.quarkus.runtime.configuration.ConfigUtils;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A test-only fault: the worker dies, as on a native crash (the JVM halts, nothing is acknowledged or handed back),
 * whenever it runs a job whose prompt matches {@value #KEY}, just after announcing it RUNNING. It lets tests and the
 * chaos suite show on real processes that such a job ends {@code failed} after its last attempt while the jobs
 * behind it still run. Off unless set, and honoured only in the {@code dev} and {@code test} profiles: a start in
 * any other profile (a packaged service runs in {@code prod}) with it set fails, so production configuration cannot
 * turn it on.
 */
@ApplicationScoped
public class PoisonSwitch {
    static final String KEY = "t2i.generator.test-only.poison-prompt";
    /** The exit status of a poisoned worker (that of a process killed by SIGKILL). */
    static final int POISONED_EXIT = 137;
    private static final Logger LOG = Logger.getLogger(PoisonSwitch.class);
    private static final List<String> HONOURED_IN = List.of("dev", "test");

    private final Optional<Pattern> poison;

    public PoisonSwitch(GeneratorConfig config) {
        this.poison = read(config.testOnly().poisonPrompt(), ConfigUtils.getProfiles());
    }

    /**
     * @param regex    the configured pattern, if any
     * @param profiles the active configuration profiles
     * @throws IllegalStateException when set outside the dev and test profiles, or not a regular expression
     */
    static Optional<Pattern> read(Optional<String> regex, List<String> profiles) {
        Optional<String> set = regex.map(String::strip).filter(value -> !value.isEmpty());
        if (set.isEmpty()) {
            return Optional.empty();
        }
        if (profiles.stream().noneMatch(HONOURED_IN::contains)) {
            throw new IllegalStateException(KEY + " is a test-only switch and is refused in the " + String.join(",",
                    profiles) + " profile: remove it from the configuration (it is honoured only in dev and test).");
        }
        try {
            return Optional.of(Pattern.compile(set.get()));
        } catch (PatternSyntaxException e) {
            throw new IllegalStateException(KEY + " must be a regular expression: " + e.getDescription() + ".", e);
        }
    }

    boolean poisons(String prompt) {
        return poison.isPresent() && prompt != null && poison.get().matcher(prompt).find();
    }

    /** Halts the JVM when the job is poisoned: no shutdown hooks, no acknowledgement, no requeue. */
    void dieIfPoisoned(UUID jobId, String prompt) {
        if (poisons(prompt)) {
            LOG.errorf("Job %s matches %s: this worker dies now (test-only switch)", jobId, KEY);
            Runtime.getRuntime().halt(POISONED_EXIT);
        }
    }
}
