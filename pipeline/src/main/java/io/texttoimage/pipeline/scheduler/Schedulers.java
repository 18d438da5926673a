package io.texttoimage.pipeline.scheduler;

import io.texttoimage.contracts.SchedulerNames;

import java.util.List;
import java.util.Map;

/**
 * Creates schedulers by short name from a model's scheduler config, the way diffusers swaps schedulers with
 * {@code X.from_config(pipe.scheduler.config)}: keys the model's file sets explicitly are kept, keys it left at their
 * defaults (listed in {@code _use_default_values}) or never mentions take the new class's defaults.
 */
public final class Schedulers {

    public static final String PNDM = SchedulerNames.PNDM;
    public static final String DDIM = SchedulerNames.DDIM;
    public static final String EULER = SchedulerNames.EULER;
    public static final String EULER_ANCESTRAL = SchedulerNames.EULER_ANCESTRAL;
    public static final String LMS = SchedulerNames.LMS;
    public static final String DPMPP_2M = SchedulerNames.DPMPP_2M;
    public static final String DPMPP_2M_KARRAS = SchedulerNames.DPMPP_2M_KARRAS;
    public static final String UNIPC = SchedulerNames.UNIPC;

    /** Every valid name, in a stable order for messages and documentation: the contracts' list. */
    public static final List<String> NAMES = SchedulerNames.NAMES;

    private static final String KARRAS = "use_karras_sigmas";
    private static final String ALGORITHM = "algorithm_type";

    /** diffusers class → our name for its plain configuration (Karras and SDE variants: {@link #defaultName}). */
    private static final Map<String, String> DIFFUSERS_CLASSES = Map.ofEntries(
            Map.entry("PNDMScheduler", PNDM),
            Map.entry("DDIMScheduler", DDIM),
            Map.entry("EulerDiscreteScheduler", EULER),
            Map.entry("EulerAncestralDiscreteScheduler", EULER_ANCESTRAL),
            Map.entry("HeunDiscreteScheduler", SchedulerNames.HEUN),
            Map.entry("LMSDiscreteScheduler", LMS),
            Map.entry("KDPM2DiscreteScheduler", SchedulerNames.DPM2),
            Map.entry("KDPM2AncestralDiscreteScheduler", SchedulerNames.DPM2_ANCESTRAL),
            Map.entry("DPMSolverSinglestepScheduler", SchedulerNames.DPMPP_2S),
            Map.entry("DPMSolverMultistepScheduler", DPMPP_2M),
            Map.entry("DEISMultistepScheduler", SchedulerNames.DEIS),
            Map.entry("UniPCMultistepScheduler", UNIPC));

    /** The names whose class offers {@code use_karras_sigmas}, with the name of their Karras variant. */
    private static final Map<String, String> KARRAS_VARIANTS = Map.of(
            EULER, SchedulerNames.EULER_KARRAS,
            SchedulerNames.HEUN, SchedulerNames.HEUN_KARRAS,
            LMS, SchedulerNames.LMS_KARRAS,
            SchedulerNames.DPM2, SchedulerNames.DPM2_KARRAS,
            SchedulerNames.DPM2_ANCESTRAL, SchedulerNames.DPM2_ANCESTRAL_KARRAS,
            SchedulerNames.DPMPP_2S, SchedulerNames.DPMPP_2S_KARRAS,
            DPMPP_2M, DPMPP_2M_KARRAS,
            SchedulerNames.DPMPP_2M_SDE, SchedulerNames.DPMPP_2M_SDE_KARRAS);

    private Schedulers() {
    }

    /**
     * A new scheduler (one per run). {@code name} is one of {@link #NAMES} or an AUTOMATIC1111 alias, in any case,
     * with {@code _}, {@code -} or spaces between words ({@code "dpmpp_2m_karras"}, {@code "DPM++ 2M SDE Karras"}).
     * A Karras name sets {@code use_karras_sigmas} and an SDE name {@code algorithm_type} on top of the model's config,
     * as {@code X.from_config(config, use_karras_sigmas=True)} does.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones) or a config value this
     *                                  implementation does not support
     */
    public static Scheduler create(String name, SchedulerConfig modelConfig) {
        if (modelConfig == null) {
            throw new IllegalArgumentException("a scheduler config is required");
        }
        String canonical = canonicalName(name);
        SchedulerConfig karras = modelConfig.with(KARRAS, true);
        return switch (canonical) {
            case PNDM -> new PndmScheduler(modelConfig);
            case DDIM -> new DdimScheduler(modelConfig);
            case EULER -> new EulerScheduler(canonical, modelConfig);
            case SchedulerNames.EULER_KARRAS -> new EulerScheduler(canonical, karras);
            case EULER_ANCESTRAL -> new EulerAncestralScheduler(modelConfig);
            case SchedulerNames.HEUN -> new HeunScheduler(canonical, modelConfig);
            case SchedulerNames.HEUN_KARRAS -> new HeunScheduler(canonical, karras);
            case LMS -> new LmsScheduler(canonical, modelConfig);
            case SchedulerNames.LMS_KARRAS -> new LmsScheduler(canonical, karras);
            case SchedulerNames.DPM2 -> new Kdpm2Scheduler(canonical, modelConfig);
            case SchedulerNames.DPM2_KARRAS -> new Kdpm2Scheduler(canonical, karras);
            case SchedulerNames.DPM2_ANCESTRAL -> new Kdpm2AncestralScheduler(canonical, modelConfig);
            case SchedulerNames.DPM2_ANCESTRAL_KARRAS -> new Kdpm2AncestralScheduler(canonical, karras);
            case SchedulerNames.DPMPP_2S -> new DpmSolverSinglestepScheduler(canonical, modelConfig);
            case SchedulerNames.DPMPP_2S_KARRAS -> new DpmSolverSinglestepScheduler(canonical, karras);
            case DPMPP_2M -> new DpmSolverMultistepScheduler(canonical, modelConfig.with(ALGORITHM, "dpmsolver++"));
            case DPMPP_2M_KARRAS -> new DpmSolverMultistepScheduler(canonical, karras.with(ALGORITHM, "dpmsolver++"));
            case SchedulerNames.DPMPP_2M_SDE ->
                    new DpmSolverMultistepScheduler(canonical, modelConfig.with(ALGORITHM, "sde-dpmsolver++"));
            case SchedulerNames.DPMPP_2M_SDE_KARRAS ->
                    new DpmSolverMultistepScheduler(canonical, karras.with(ALGORITHM, "sde-dpmsolver++"));
            case SchedulerNames.DEIS -> new DeisMultistepScheduler(canonical, modelConfig);
            case UNIPC -> new UniPcMultistepScheduler(modelConfig);
            default -> throw new IllegalStateException("no scheduler class for '" + canonical + "'");
        };
    }

    /**
     * The canonical form of a scheduler name ({@code "Euler_A"} → {@code "euler-a"}, {@code "DPM++ 2M"} →
     * {@code "dpmpp-2m"}).
     *
     * @throws IllegalArgumentException when the name is unknown; the message lists the valid names
     */
    public static String canonicalName(String name) {
        return SchedulerNames.requireCanonical(name);
    }

    public static boolean isValidName(String name) {
        return SchedulerNames.isValid(name);
    }

    /**
     * The short name matching the model's own scheduler class ({@code _class_name}); a config with
     * {@code use_karras_sigmas=true} maps to the Karras variant ({@code dpmpp-2m-karras}), a DPM-Solver multistep
     * config with {@code algorithm_type="sde-dpmsolver++"} to {@code dpmpp-2m-sde}.
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
        if (DPMPP_2M.equals(name) && "sde-dpmsolver++".equals(modelConfig.getString(ALGORITHM, "dpmsolver++"))) {
            name = SchedulerNames.DPMPP_2M_SDE;
        }
        if (KARRAS_VARIANTS.containsKey(name) && modelConfig.getBoolean(KARRAS, false)) {
            return KARRAS_VARIANTS.get(name);
        }
        return name;
    }
}
