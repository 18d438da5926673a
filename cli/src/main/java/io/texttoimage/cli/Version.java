package io.texttoimage.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The project version the build wrote into {@code version.properties}, for {@code --version}. */
public final class Version {
    private static final String UNKNOWN = "(version unknown: not built by Maven)";

    private Version() {
    }

    public static String project() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return UNKNOWN;
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("version", "");
            return version.isBlank() || version.startsWith("${") ? UNKNOWN : version;
        } catch (IOException e) {
            return UNKNOWN;
        }
    }

    /** Picocli's {@code --version} for {@code t2i}. */
    public static final class OfT2i implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"t2i " + project()};
        }
    }
}
