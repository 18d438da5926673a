package io.texttoimage.hub;

/** Receives download progress from {@link HubModelResolver}; called on the downloading thread. */
@FunctionalInterface
public interface DownloadProgress {

    /**
     * @param file           path of the file inside the repo, e.g. {@code unet/model.onnx}
     * @param bytesDone      bytes of this file on disk so far (a resumed download starts above zero)
     * @param totalBytes     size of the file, or -1 when the server did not say
     * @param bytesPerSecond transfer rate of this download so far (bytes actually received, not resumed ones)
     */
    void onProgress(String file, long bytesDone, long totalBytes, double bytesPerSecond);

    /** Called once a file is complete and verified. */
    default void onFileDone(String file, long totalBytes) {
    }

    static DownloadProgress none() {
        return (file, done, total, rate) -> { };
    }
}
