package io.texttoimage.pipeline.scheduler;

import io.texttoimage.pipeline.random.NoiseSource;

import java.util.List;

/**
 * diffusers' {@code UniPCMultistepScheduler} with {@code predict_x0=true}, {@code solver_type="bh2"} (or bh1) and
 * solver order 1 or 2: each step first applies the UniC corrector to the sample produced by the previous step (using
 * the new model output), then the UniP predictor. Both run in float32 like diffusers' tensors, including the 2×2
 * linear solve of the order-2 corrector.
 */
final class UniPcMultistepScheduler extends MultistepSolverScheduler {

    private final boolean bh2;
    private final boolean lowerOrderFinal;
    private final List<Integer> disableCorrector;

    private int thisOrder;
    private float[] lastSample;

    UniPcMultistepScheduler(SchedulerConfig source) {
        super(Schedulers.UNIPC, source, "linspace", "UniPC");
        config.requireValue("predict_x0", true, true);
        this.bh2 = "bh2".equals(config.choice("solver_type", "bh2", "bh1", "bh2"));
        this.lowerOrderFinal = config.booleanValue("lower_order_final", true);
        this.disableCorrector = config.intListValue("disable_corrector");
        config.requireValue("solver_p", null, null);
        config.requireValue("thresholding", false, false);
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        MultistepSchedule.Steps steps = steps(numInferenceSteps, checkSteps(numInferenceSteps), timestepSpacing);
        startRun(steps, steps.endingAboveZero(useKarrasSigmas, schedule));
        lastSample = null;
        thisOrder = 0;
    }

    @Override
    public float[] step(float[] modelOutput, float timestep, float[] sample, NoiseSource noise) {
        requireSameLength(modelOutput, sample);
        int index = currentStepIndex(timestep, true);
        boolean useCorrector = index > 0 && !disableCorrector.contains(index - 1) && lastSample != null;
        float[] converted = MultistepSchedule.dataPrediction(predictionType, modelOutput, sample, sigmas[index]);
        float[] current = useCorrector ? corrector(converted, lastSample, thisOrder, index) : sample;

        remember(converted);

        int order = lowerOrderFinal ? Math.min(solverOrder, timesteps.length - index) : solverOrder;
        thisOrder = Math.min(order, lowerOrderNums + 1); // warm-up of the multistep method
        // kept for the next step's corrector; a copy, because callers may reuse their buffers
        lastSample = current == sample ? sample.clone() : current;
        float[] prev = predictor(current, thisOrder, index);
        countStep();
        stepIndex++;
        return prev;
    }

    /** Scalars shared by predictor and corrector for a step from sigma {@code from} to sigma {@code to}. */
    private record StepTerms(float sampleCoeff, float alphaT, float h, float hPhi1, float bH, float[] b) {
    }

    private StepTerms terms(float sigmaFrom, float sigmaTo, int order) {
        float alphaT = MultistepSchedule.alpha(sigmaTo);
        float sigmaT = sigmaTo * alphaT;
        float sigmaS0 = sigmaFrom * MultistepSchedule.alpha(sigmaFrom);
        float h = MultistepSchedule.lambda(sigmaTo) - MultistepSchedule.lambda(sigmaFrom);
        float hh = -h; // predict_x0
        float hPhi1 = (float) Math.expm1(hh);
        float hPhiK = hPhi1 / hh - 1f;
        float bH = bh2 ? (float) Math.expm1(hh) : hh;
        float[] b = new float[order];
        int factorial = 1;
        for (int i = 1; i <= order; i++) {
            b[i - 1] = hPhiK * factorial / bH;
            factorial *= i + 1;
            hPhiK = hPhiK / hh - (float) (1.0 / factorial);
        }
        return new StepTerms(sigmaT / sigmaS0, alphaT, h, hPhi1, bH, b);
    }

    /** {@code r_k = (lambda_si - lambda_s0) / h}, float32. */
    private float rk(int si, int s0, float h) {
        return (MultistepSchedule.lambda(sigmas[si]) - MultistepSchedule.lambda(sigmas[s0])) / h;
    }

    /** UniP-bh: from {@code x} at sigma[index] to sigma[index + 1]. */
    private float[] predictor(float[] x, int order, int index) {
        StepTerms terms = terms(sigmas[index], sigmas[index + 1], order);
        float[] m0 = remembered(0);
        float[] d1 = null;
        float rho = 0f;
        if (order == 2) {
            float[] m1 = remembered(1);
            float rk = rk(index - 1, index, terms.h());
            d1 = new float[x.length];
            for (int i = 0; i < d1.length; i++) {
                d1[i] = (m1[i] - m0[i]) / rk;
            }
            rho = 0.5f; // diffusers' simplified order-2 predictor
        }
        float x0Coeff = terms.alphaT() * terms.hPhi1();
        float residualCoeff = terms.alphaT() * terms.bH();
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) {
            float base = terms.sampleCoeff() * x[i] - x0Coeff * m0[i];
            float predRes = d1 == null ? 0f : rho * d1[i];
            out[i] = base - residualCoeff * predRes;
        }
        return out;
    }

    /**
     * UniC-bh: recomputes the sample at sigma[index] from {@code last} (at sigma[index - 1]) using the new model output
     * {@code modelT}; with predict_x0 the predicted sample itself does not enter the formula.
     */
    private float[] corrector(float[] modelT, float[] last, int order, int index) {
        StepTerms terms = terms(sigmas[index - 1], sigmas[index], order);
        float[] m0 = remembered(0);
        float[] d1 = null;
        float rhoD1;
        float rhoT;
        if (order == 1) {
            rhoD1 = 0f;
            rhoT = 0.5f;
        } else {
            float[] m1 = remembered(1);
            float rk = rk(index - 2, index - 1, terms.h());
            d1 = new float[last.length];
            for (int i = 0; i < d1.length; i++) {
                d1[i] = (m1[i] - m0[i]) / rk;
            }
            float[] rhos = solve2x2(1f, 1f, rk, 1f, terms.b()[0], terms.b()[1]);
            rhoD1 = rhos[0];
            rhoT = rhos[1];
        }
        float x0Coeff = terms.alphaT() * terms.hPhi1();
        float residualCoeff = terms.alphaT() * terms.bH();
        float[] out = new float[last.length];
        for (int i = 0; i < out.length; i++) {
            float base = terms.sampleCoeff() * last[i] - x0Coeff * m0[i];
            float corrRes = d1 == null ? 0f : rhoD1 * d1[i];
            float d1t = modelT[i] - m0[i];
            out[i] = base - residualCoeff * (corrRes + rhoT * d1t);
        }
        return out;
    }

    /**
     * Solves {@code [[a, b], [c, d]] x = [e, f]} in float32 as LAPACK's sgesv does: partial pivoting, the multiplier
     * formed with the reciprocal of the pivot, back substitution by division.
     */
    static float[] solve2x2(float a, float b, float c, float d, float e, float f) {
        if (Math.abs(c) > Math.abs(a)) {
            return solve2x2(c, d, a, b, f, e); // the pivot row goes first
        }
        float multiplier = c * (1f / a);
        float u11 = d - multiplier * b;
        float y1 = f - multiplier * e;
        float x1 = y1 / u11;
        float x0 = (e - b * x1) / a;
        return new float[] {x0, x1};
    }
}
