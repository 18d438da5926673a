package io.texttoimage.pipeline;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;

import java.lang.System.Logger.Level;

/** Turns {@link OrtSettings} into session options, choosing CUDA when asked for and available, else CPU. */
final class OrtSessionFactory {

    private static final System.Logger LOG = System.getLogger(OrtSessionFactory.class.getName());

    /** The options and the provider they select; the caller closes the options once its sessions exist. */
    record Setup(OrtSession.SessionOptions options, String executionProvider) implements AutoCloseable {
        @Override
        public void close() {
            options.close();
        }
    }

    private OrtSessionFactory() {
    }

    private static volatile OrtEnvironment environment;

    /** The process-wide ONNX Runtime environment, created on first use. */
    static OrtEnvironment environment() {
        OrtEnvironment env = environment;
        if (env == null) {
            synchronized (OrtSessionFactory.class) {
                if (environment == null) {
                    // Warnings from ONNX Runtime itself (e.g. about unused initializers) are not actionable for users.
                    environment = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "text-to-image");
                }
                env = environment;
            }
        }
        return env;
    }

    static Setup create(OrtSettings settings) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setOptimizationLevel(switch (settings.optimizationLevel()) {
                case "disable" -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case "basic" -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case "extended" -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                default -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            if (settings.intraOpThreads() > 0) {
                options.setIntraOpNumThreads(settings.intraOpThreads());
            }
            if (settings.interOpThreads() > 0) {
                options.setInterOpNumThreads(settings.interOpThreads());
            }
            options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            return new Setup(options, settings.useCuda() ? addCudaOrExplain(options, settings.deviceId()) : "CPU");
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    private static String addCudaOrExplain(OrtSession.SessionOptions options, int deviceId) {
        String reason;
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            reason = "this ONNX Runtime build has no CUDA execution provider (build with -Pgpu for onnxruntime_gpu)";
        } else {
            try {
                options.addCUDA(deviceId);
                LOG.log(Level.INFO, "ONNX Runtime uses the CUDA execution provider on device {0}", deviceId);
                return "CUDA";
            } catch (OrtException | RuntimeException | LinkageError e) {
                reason = "the CUDA execution provider could not start on device " + deviceId + ": "
                        + ModelFolder.firstLine(e.getMessage());
            }
        }
        LOG.log(Level.WARNING, "CUDA was requested but ONNX Runtime runs on the CPU: " + reason);
        return "CPU";
    }
}
