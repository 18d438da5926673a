package io.texttoimage.pipeline.scheduler;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TorchFloatMathTest {

    @Test
    void staysWithinOneUlpOfTheExactExponential() {
        SplittableRandom random = new SplittableRandom(7);
        int differing = 0;
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (random.nextDouble() * 160 - 80);
            float exact = (float) Math.exp(x);
            float sleef = TorchFloatMath.exp(x);
            assertTrue(Math.abs(sleef - exact) <= Math.ulp(exact), "exp(" + x + ") = " + sleef + " vs " + exact);
            if (sleef != exact) {
                differing++;
            }
        }
        // SLEEF's expf is a 1-ulp routine: it is not always correctly rounded, which is the point of copying it.
        assertTrue(differing > 0, "never differs from the correctly rounded value");
    }

    @Test
    void reproducesTorchWhereItIsNotCorrectlyRounded() {
        // exp(-h) of the first DPM-Solver++ step of golden case dev09 (20 steps, sigma 14.614645 → 10.904239):
        // torch returned 0.74611735f; the correctly rounded value is one ulp lower. Only this value gives diffusers'
        // latents_step1 bit for bit.
        float minusH = -0.29287242889404296875f;
        assertEquals(0.7461173f, (float) Math.exp(minusH));
        assertEquals(0.74611735f, TorchFloatMath.exp(minusH));
    }

    @Test
    void handlesTheEnds() {
        assertEquals(1f, TorchFloatMath.exp(0f));
        assertEquals(0f, TorchFloatMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, TorchFloatMath.exp(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(TorchFloatMath.exp(Float.NaN)));
    }
}
