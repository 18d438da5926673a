package io.texttoimage.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The credential t2i sends as {@code Authorization: Bearer}, and where it came from (named in error messages, the
 * key itself never is). Looked up in this order: {@code --api-key}, the environment's {@code T2I_API_KEY}, then the
 * key file the local stack writes ({@link #KEY_FILE} for normal commands, {@link #ADMIN_KEY_FILE} for
 * {@code t2i admin}) in the key folder: {@code T2I_KEY_DIR}, else {@code <checkout>/.t2i} (bin/t2i passes the
 * checkout as the system property {@code t2i.repo.root}).
 *
 * @param value  the key, or null: send no Authorization header (a gateway with authentication off)
 * @param source "--api-key", "T2I_API_KEY", the file's path, or what was looked for when there is no key
 */
public record ApiKey(String value, String source) {

    public static final String ENV = "T2I_API_KEY";
    public static final String KEY_DIR_ENV = "T2I_KEY_DIR";
    public static final String REPO_ROOT_PROPERTY = "t2i.repo.root";
    public static final String KEY_FILE = "api-key";
    public static final String ADMIN_KEY_FILE = "admin-key";

    /** No credential at all. */
    public static final ApiKey NONE = new ApiKey(null, "none");

    /** A key given by a program (the local stack's launcher), not looked up. */
    public static ApiKey of(String value, String source) {
        return value == null || value.isBlank() ? NONE : new ApiKey(value.strip(), source);
    }

    public boolean present() {
        return value != null;
    }

    /** The key for a command: {@code option}, else the environment's, else the key file (admin or not). */
    static ApiKey resolve(String option, Map<String, String> env, boolean admin) {
        if (option != null && !option.isBlank()) {
            return new ApiKey(option.strip(), "--api-key");
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new ApiKey(fromEnv.strip(), ENV);
        }
        return keyDir(env).map(dir -> dir.resolve(admin ? ADMIN_KEY_FILE : KEY_FILE))
                .flatMap(ApiKey::readFile).orElse(NONE);
    }

    /** Where the key files are, if t2i knows: {@code T2I_KEY_DIR}, else {@code <checkout>/.t2i}. */
    static Optional<Path> keyDir(Map<String, String> env) {
        String dir = env.get(KEY_DIR_ENV);
        if (dir != null && !dir.isBlank()) {
            return Optional.of(Path.of(dir));
        }
        return Optional.ofNullable(System.getProperty(REPO_ROOT_PROPERTY)).filter(root -> !root.isBlank())
                .map(root -> Path.of(root, ".t2i"));
    }

    private static Optional<ApiKey> readFile(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            String key = Files.readString(file).strip();
            return key.isEmpty() ? Optional.empty() : Optional.of(new ApiKey(key, file.toString()));
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "Cannot read the API key file " + file + " (" + e.getMessage()
                    + "): pass --api-key or set " + ENV + " instead.");
        }
    }

    @Override
    public String toString() { // never the key: records print their fields otherwise
        return "ApiKey[" + source + "]";
    }
}
