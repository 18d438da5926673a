package io.texttoimage.broker;

import java.io.IOException;

/**
 * The broker holds a queue under a name this version declares, but with another type or other arguments (RabbitMQ
 * answers PRECONDITION_FAILED). Retrying cannot help: an operator has to act, which the message says how. Services
 * fail their start on it instead of retrying.
 */
public final class RefusedDeclarationException extends IOException {
    public RefusedDeclarationException(String message, Throwable cause) {
        super(message, cause);
    }
}
