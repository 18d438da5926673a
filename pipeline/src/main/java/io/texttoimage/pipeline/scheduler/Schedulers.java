package io.texttoimage.pipeline.scheduler;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Creates schedulers by short name from a model's scheduler config, the way diffusers swaps schedulers with
 * {@code X.from_config(pipe.scheduler.config)}: keys the model's file sets explicitly are kept, keys it left at their
 * defaults (listed in {@code _use_default_values}) or never mentions take the new class's defaults.
 */
public final class Schedulers {

    public static final String PNDM = "pndm";
    public static final String DDIM = "ddim";
    public static final String EULER = "euler";
    public static final String EULER_ANCESTRAL = "euler-a";
    public static final String LMS = "lms";
    public static final String DPMPP_2M = "dpmpp-2m";
    public static final String DPMPP_2M_KARRAS = "dpmpp-2m-karras";
    public static final String UNIPC = "unipc";

    /** Every valid name, in a stable order for messages and documentation. */
    public static final List<String> NAMES =
            List.of(PNDM, DDIM, EULER, EULER_ANCESTRAL, LMS, DPMPP_2M, DPMPP_2M_KARRAS, UNIPC);

    private static final Map<String, String> DIFFUSERS_CLASSES = Map.of(
            "PNDMScheduler", PNDM,
            "DDIMScheduler", DDIM,
            "EulerDiscreteScheduler", EULER,
            "EulerAncestralDiscreteScheduler", EULER_ANCESTRAL,
            "LMSDiscreteScheduler", LMS,
            "DPMSolverMultistepScheduler", DPMPP_2M,
            "UniPCMultistepScheduler", UNIPC);

    private Schedulers() {
    }

    /**
     * A new scheduler (one per run). {@code name} is case-insensitive and may use {@code _} for {@code -}
     * ({@code "dpmpp_2m_karras"}).
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones) or a config value this
     *                                  implementation does not support
     */
    public static Scheduler create(String name, SchedulerConfig modelConfig) {
        if (modelConfig == null) {
            throw new IllegalArgumentException("a scheduler config is required");
        }
        return switch (canonicalName(name)) {
            case PNDM -> new PndmScheduler(modelConfig);
            case DDIM -> new DdimScheduler(modelConfig);
            case EULER -> new EulerScheduler(modelConfig);
            case EULER_ANCESTRAL -> new EulerAncestralScheduler(modelConfig);
            case LMS -> new LmsScheduler(modelConfig);
            case DPMPP_2M -> new DpmSolverMultistepScheduler(DPMPP_2M, modelConfig);
            case DPMPP_2M_KARRAS ->
                    new DpmSolverMultistepScheduler(DPMPP_2M_KARRAS, modelConfig.with("use_karras_sigmas", true));
            case UNIPC -> new UniPcMultistepScheduler(modelConfig);
            default -> throw new IllegalStateException("unreachable");
        };
    }

    /**
     * The canonical form of a scheduler name ({@code "Euler_A"} → {@code "euler-a"}).
     *
     * @throws IllegalArgumentException when the name is unknown; the message lists the valid names
     */
    public static String canonicalName(String name) {
        String canonical = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        if (!NAMES.contains(canonical)) {
            throw new IllegalArgumentException("Unknown scheduler '" + name + "'; valid names are "
                    + String.join(", ", NAMES) + ".");
        }
        return canonical;
    }

    public static boolean isValidName(String name) {
        String canonical = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        return NAMES.contains(canonical);
    }

    /**
     * The short name matching the model's own scheduler class ({@code _class_name}); a DPM-Solver config with
     * {@code use_karras_sigmas=true} maps to {@code dpmpp-2m-karras}.
     *
     * @throws IllegalArgumentException when the class is missing or not one of the supported schedulers
     */
    public static String defaultName(SchedulerConfig modelConfig) {
        String className = modelConfig.className();
        String name = className == null ? null : DIFFUSERS_CLASSES.get(className);
        if (name == null) {
            throw new IllegalArgumentException("scheduler class " + (className == null ? "(no _class_name)" : "'"
                    + className + "'") + " is not supported; supported classes are "
                    + String.join(", ", DIFFUSERS_CLASSES.keySet().stream().sorted().toList()));
        }
        if (DPMPP_2M.equals(name) && modelConfig.getBoolean("use_karras_sigmas", false)) {
            return DPMPP_2M_KARRAS;
        }
        return name;
    }
}
