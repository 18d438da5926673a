package io.texttoimage.pipeline;

/** A generation request the pipeline cannot run; the message is one sentence meant for the user. */
public class InvalidRequestException extends IllegalArgumentException {

    public InvalidRequestException(String message) {
        super(message);
    }
}
