package io.texttoimage.pipeline.scheduler;

/**
 * The training noise schedule shared by all schedulers: betas, {@code alphas_cumprod} (float32, as diffusers keeps it
 * in a torch tensor) and the derived Karras-style sigmas.
 *
 * <p>The float32 values are reproduced bit for bit from diffusers 0.27.2 on torch's CPU kernels: {@code torch.linspace}
 * computes its step in double and fills 8-wide vector chunks from a rounded base; {@code torch.cumprod} accumulates in
 * double and rounds each product. These details move sigmas by a few float32 ulps, which the golden data resolves.
 */
final class NoiseSchedule {

    /** torch's AVX2 {@code Vectorized<float>} width; its vector loop handles two vectors at a time. */
    private static final int TORCH_FLOAT_VECTOR = 8;

    private final float[] alphasCumprod;

    private NoiseSchedule(float[] alphasCumprod) {
        this.alphasCumprod = alphasCumprod;
    }

    /** Reads num_train_timesteps, beta_start, beta_end, beta_schedule and trained_betas from the resolved settings. */
    static NoiseSchedule from(ConfigReader config) {
        int trainSteps = config.intValue("num_train_timesteps", 1000);
        if (trainSteps < 2) {
            throw new IllegalArgumentException("num_train_timesteps must be at least 2, got " + trainSteps);
        }
        double betaStart = config.doubleValue("beta_start", 0.0001);
        double betaEnd = config.doubleValue("beta_end", 0.02);
        String betaSchedule = config.stringValue("beta_schedule", "linear");
        double[] trainedBetas = config.doubleArrayValue("trained_betas");
        float[] betas;
        if (trainedBetas != null) {
            betas = new float[trainedBetas.length];
            for (int i = 0; i < betas.length; i++) {
                betas[i] = (float) trainedBetas[i];
            }
        } else {
            betas = switch (betaSchedule) {
                case "linear" -> torchLinspaceFloat32(betaStart, betaEnd, trainSteps);
                case "scaled_linear" ->
                        squared(torchLinspaceFloat32(Math.sqrt(betaStart), Math.sqrt(betaEnd), trainSteps));
                case "squaredcos_cap_v2" -> cosineBetas(trainSteps);
                default -> throw new IllegalArgumentException("beta_schedule '" + betaSchedule
                        + "' is not supported; use linear, scaled_linear or squaredcos_cap_v2");
            };
        }
        return new NoiseSchedule(cumprod(betas));
    }

    float[] alphasCumprod() {
        return alphasCumprod;
    }

    int trainSteps() {
        return alphasCumprod.length;
    }

    /** {@code ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5} evaluated in float32, for every training step. */
    float[] trainSigmas() {
        float[] sigmas = new float[alphasCumprod.length];
        for (int i = 0; i < sigmas.length; i++) {
            sigmas[i] = sigmaOf(alphasCumprod[i]);
        }
        return sigmas;
    }

    /** The smallest training sigma, at timestep 0 (what diffusers' {@code final_sigmas_type="sigma_min"} ends on). */
    float sigmaMin() {
        return sigmaOf(alphasCumprod[0]);
    }

    static float sigmaOf(float alphaCumprod) {
        float ratio = (1f - alphaCumprod) / alphaCumprod;
        return (float) Math.sqrt(ratio);
    }

    /** {@code torch.linspace(start, end, steps, dtype=torch.float32)} as torch's CPU kernel computes it. */
    static float[] torchLinspaceFloat32(double startValue, double endValue, int steps) {
        float[] out = new float[steps];
        double start = (float) startValue;
        double end = (float) endValue;
        if (steps == 1) {
            out[0] = (float) start;
            return out;
        }
        double step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        int index = 0;
        int chunk = 2 * TORCH_FLOAT_VECTOR;
        for (; index <= steps - chunk; index += chunk) {
            fillVector(out, index, start, end, step, halfway, steps);
            fillVector(out, index + TORCH_FLOAT_VECTOR, start, end, step, halfway, steps);
        }
        for (; index < steps; index++) {
            out[index] = index < halfway
                    ? (float) (start + step * index)
                    : (float) (end - step * (steps - index - 1));
        }
        return out;
    }

    private static void fillVector(float[] out, int first, double start, double end, double step, int halfway,
                                   int steps) {
        float base = first < halfway
                ? (float) (start + step * first)
                : (float) (end - step * (steps - first - 1));
        for (int lane = 0; lane < TORCH_FLOAT_VECTOR; lane++) {
            out[first + lane] = (float) (base + lane * step);
        }
    }

    private static float[] squared(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] * values[i];
        }
        return out;
    }

    /** diffusers' betas_for_alpha_bar with the cosine transform ("squaredcos_cap_v2"), max beta 0.999. */
    private static float[] cosineBetas(int steps) {
        float[] betas = new float[steps];
        for (int i = 0; i < steps; i++) {
            double t1 = (double) i / steps;
            double t2 = (double) (i + 1) / steps;
            betas[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
        }
        return betas;
    }

    private static double alphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /** {@code torch.cumprod(1 - betas)} on CPU: float32 alphas, double accumulator, each product rounded to float32. */
    private static float[] cumprod(float[] betas) {
        float[] out = new float[betas.length];
        double product = 1.0;
        for (int i = 0; i < betas.length; i++) {
            float alpha = 1f - betas[i];
            product *= alpha;
            out[i] = (float) product;
        }
        return out;
    }
}
