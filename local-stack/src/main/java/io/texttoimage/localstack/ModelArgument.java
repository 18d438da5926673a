package io.texttoimage.localstack;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code --model} is a local folder or a Hugging Face repo id. A mistyped folder is found before the stack starts;
 * whether a repo id exists only the Hub can say (the generator asks it, and the launcher stops on its answer).
 */
final class ModelArgument {
    /** The generator's repo id syntax (HubModelResolver): {@code org/name}. */
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

    private ModelArgument() {
    }

    static Optional<String> problem(String model) {
        Path path;
        try {
            path = Path.of(model);
        } catch (InvalidPathException e) {
            return Optional.of(notAModel(model));
        }
        if (Files.isDirectory(path)) {
            return Files.isRegularFile(path.resolve("model_index.json")) ? Optional.empty()
                    : Optional.of("--model " + model + " is a folder without model_index.json, so not a diffusers model"
                            + " folder: point it at the folder that holds model_index.json.");
        }
        if (!REPO_ID.matcher(model).matches() || model.contains("--") || model.contains("..")) {
            return Optional.of(notAModel(model));
        }
        Path parent = path.getParent();
        if (parent != null && Files.isDirectory(parent)) {
            // "testdata/modl": the folder testdata/ exists here, so this is a path with a typo, not a Hub id.
            return Optional.of("--model " + model + " does not exist (" + parent + "/ does): check the folder name.");
        }
        return Optional.empty();
    }

    private static String notAModel(String model) {
        return "--model " + model + " is neither an existing folder nor a Hugging Face repo id like org/name: check the"
                + " path or the id.";
    }
}
