package io.texttoimage.pipeline;

/** A model folder that cannot be used: the message names the missing or invalid file. */
public class ModelFolderException extends RuntimeException {

    public ModelFolderException(String message) {
        super(message);
    }

    public ModelFolderException(String message, Throwable cause) {
        super(message, cause);
    }
}
