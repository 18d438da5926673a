package io.texttoimage.pipeline;

import io.texttoimage.pipeline.ReferenceData.Case;
import org.junit.jupiter.params.provider.Arguments;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The tiny reference model in both folder layouts, each loaded once for a whole test class: session creation
 * dominates the time of these tiny runs.
 */
final class ModelLayouts implements AutoCloseable {

    static final String FLOAT_TIMESTEP = "model";
    static final String INT64_EXTERNAL = "model-int64-external";

    private final StableDiffusionPipeline floatTimestep;
    private final StableDiffusionPipeline int64External;

    private ModelLayouts(StableDiffusionPipeline floatTimestep, StableDiffusionPipeline int64External) {
        this.floatTimestep = floatTimestep;
        this.int64External = int64External;
    }

    static ModelLayouts load() {
        StableDiffusionPipeline floatTimestep = StableDiffusionPipeline.load(ReferenceData.LAYOUT_FLOAT_TIMESTEP,
                OrtSettings.cpu());
        try {
            return new ModelLayouts(floatTimestep, StableDiffusionPipeline.load(ReferenceData.LAYOUT_INT64_EXTERNAL,
                    OrtSettings.cpu()));
        } catch (RuntimeException e) {
            floatTimestep.close();
            throw e;
        }
    }

    /** Every case of a reference folder, once per layout: arguments (layout, case). */
    static Stream<Arguments> casesOnBothLayouts(String folder) {
        List<Arguments> arguments = new ArrayList<>();
        for (Case c : ReferenceData.cases(folder)) {
            arguments.add(Arguments.of(FLOAT_TIMESTEP, c));
            arguments.add(Arguments.of(INT64_EXTERNAL, c));
        }
        return arguments.stream();
    }

    /**
     * A case on a layout: its label in the error tables, and whether its timesteps are truncated there (fractional
     * timesteps fed to the int64 layout's UNet), which changes what the goldens can be held to.
     */
    record Row(String label, boolean truncated) {
    }

    static Row rowOf(String layout, Case golden) {
        boolean int64Layout = INT64_EXTERNAL.equals(layout);
        boolean truncated = int64Layout && golden.fractionalTimesteps();
        String label = golden.id() + " " + golden.scheduler()
                + (int64Layout ? " (int64" + (truncated ? ", truncated)" : ")") : "");
        return new Row(label, truncated);
    }

    StableDiffusionPipeline pipeline(String layout) {
        return INT64_EXTERNAL.equals(layout) ? int64External : floatTimestep;
    }

    @Override
    public void close() {
        floatTimestep.close();
        int64External.close();
    }
}
