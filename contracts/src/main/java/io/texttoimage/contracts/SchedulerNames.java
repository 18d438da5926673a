package io.texttoimage.contracts;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The scheduler (sampler) names a generation request may carry: the gateway validates them, the generator's pipeline
 * creates schedulers from them, and the command lines list them in their help. This class is their one home.
 *
 * <p>Names are matched after {@link #normalize normalising}: case does not matter, and {@code _}, {@code -} and
 * spaces are the same separator. So {@code "DPMPP_2M_Karras"} is {@code dpmpp-2m-karras}, and AUTOMATIC1111's display
 * names are accepted as aliases ({@code "DPM++ 2M SDE Karras"} is {@code dpmpp-2m-sde-karras}, {@code "PLMS"} is
 * {@code pndm}, {@code "Euler a"} is {@code euler-a}).
 */
public final class SchedulerNames {

    public static final String PNDM = "pndm";
    public static final String DDIM = "ddim";
    public static final String EULER = "euler";
    public static final String EULER_KARRAS = "euler-karras";
    public static final String EULER_ANCESTRAL = "euler-a";
    public static final String HEUN = "heun";
    public static final String HEUN_KARRAS = "heun-karras";
    public static final String LMS = "lms";
    public static final String LMS_KARRAS = "lms-karras";
    public static final String DPM2 = "dpm2";
    public static final String DPM2_KARRAS = "dpm2-karras";
    public static final String DPM2_ANCESTRAL = "dpm2-a";
    public static final String DPM2_ANCESTRAL_KARRAS = "dpm2-a-karras";
    public static final String DPMPP_2S = "dpmpp-2s";
    public static final String DPMPP_2S_KARRAS = "dpmpp-2s-karras";
    public static final String DPMPP_2M = "dpmpp-2m";
    public static final String DPMPP_2M_KARRAS = "dpmpp-2m-karras";
    public static final String DPMPP_2M_SDE = "dpmpp-2m-sde";
    public static final String DPMPP_2M_SDE_KARRAS = "dpmpp-2m-sde-karras";
    public static final String DEIS = "deis";
    public static final String UNIPC = "unipc";

    /**
     * Every scheduler name, grouped by family, comma-separated: a compile-time constant, so that annotations (the
     * gateway's OpenAPI description) can use it too. {@link #NAMES} is the same list.
     */
    public static final String NAMES_TEXT = PNDM + ", " + DDIM + ", " + EULER + ", " + EULER_KARRAS + ", "
            + EULER_ANCESTRAL + ", " + HEUN + ", " + HEUN_KARRAS + ", " + LMS + ", " + LMS_KARRAS + ", " + DPM2 + ", "
            + DPM2_KARRAS + ", " + DPM2_ANCESTRAL + ", " + DPM2_ANCESTRAL_KARRAS + ", " + DPMPP_2S + ", "
            + DPMPP_2S_KARRAS + ", " + DPMPP_2M + ", " + DPMPP_2M_KARRAS + ", " + DPMPP_2M_SDE + ", "
            + DPMPP_2M_SDE_KARRAS + ", " + DEIS + ", " + UNIPC;

    /** Every scheduler name, in the order messages and help texts list them. */
    public static final List<String> NAMES = List.of(NAMES_TEXT.split(", "));

    /** Runs of the characters that separate words in a name; declared first, {@link #LOOKUP} needs it. */
    private static final Pattern SEPARATORS = Pattern.compile("[\\s_-]+");

    /** AUTOMATIC1111's sampler names, for the schedulers A1111 offers; they are also accepted as aliases. */
    private static final Map<String, String> A1111_NAMES = a1111Names();

    /** Normalised name or alias → our name. */
    private static final Map<String, String> LOOKUP = lookup();

    private SchedulerNames() {
    }

    private static Map<String, String> a1111Names() {
        Map<String, String> names = new LinkedHashMap<>();
        names.put(PNDM, "PLMS");
        names.put(DDIM, "DDIM");
        names.put(EULER, "Euler");
        names.put(EULER_ANCESTRAL, "Euler a");
        names.put(HEUN, "Heun");
        names.put(LMS, "LMS");
        names.put(LMS_KARRAS, "LMS Karras");
        names.put(DPM2, "DPM2");
        names.put(DPM2_KARRAS, "DPM2 Karras");
        names.put(DPM2_ANCESTRAL, "DPM2 a");
        names.put(DPM2_ANCESTRAL_KARRAS, "DPM2 a Karras");
        names.put(DPMPP_2S, "DPM++ 2S");
        names.put(DPMPP_2M, "DPM++ 2M");
        names.put(DPMPP_2M_KARRAS, "DPM++ 2M Karras");
        names.put(DPMPP_2M_SDE, "DPM++ 2M SDE");
        names.put(DPMPP_2M_SDE_KARRAS, "DPM++ 2M SDE Karras");
        names.put(UNIPC, "UniPC");
        return Collections.unmodifiableMap(names);
    }

    private static Map<String, String> lookup() {
        Map<String, String> lookup = new LinkedHashMap<>();
        for (String name : NAMES) {
            lookup.put(normalize(name), name);
        }
        A1111_NAMES.forEach((name, display) -> lookup.putIfAbsent(normalize(display), name));
        return Collections.unmodifiableMap(lookup);
    }

    /**
     * The comparison form of a name: trimmed, lower case, every run of spaces, {@code _} or {@code -} one {@code -}.
     * Our own names are already in this form.
     */
    public static String normalize(String name) {
        return SEPARATORS.matcher(name.trim().toLowerCase(Locale.ROOT)).replaceAll("-");
    }

    /** Our name for {@code name} (one of ours or an A1111 alias, in any case), or empty when it is unknown. */
    public static Optional<String> canonical(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(LOOKUP.get(normalize(name)));
    }

    public static boolean isValid(String name) {
        return canonical(name).isPresent();
    }

    /**
     * Our name for {@code name}.
     *
     * @throws IllegalArgumentException for an unknown name, with a one-sentence message listing the valid ones
     */
    public static String requireCanonical(String name) {
        return canonical(name).orElseThrow(() -> new IllegalArgumentException("Unknown scheduler '" + name
                + "'; valid names are " + validNamesText() + "."));
    }

    /** {@code "pndm, ddim, …, unipc"}, for messages. */
    public static String validNamesText() {
        return NAMES_TEXT;
    }

    /** The field error for a name that is not valid: the API's, and the launcher's that checks before the API. */
    public static String invalidNameMessage() {
        return "must be one of " + NAMES_TEXT + " (any case; A1111 names such as 'DPM++ 2M Karras' work too)";
    }

    /** AUTOMATIC1111's display name of one of our schedulers ({@code dpmpp-2m-karras} → "DPM++ 2M Karras"). */
    public static Optional<String> a1111Name(String name) {
        return canonical(name).map(A1111_NAMES::get);
    }

    /** A1111 display name → our name, for every scheduler A1111 offers. */
    public static Map<String, String> a1111Aliases() {
        Map<String, String> aliases = new LinkedHashMap<>();
        A1111_NAMES.forEach((name, display) -> aliases.put(display, name));
        return Collections.unmodifiableMap(aliases);
    }

    /** Our names as an {@link Iterable} with a public no-argument constructor, for picocli's completion candidates. */
    public static final class Candidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return NAMES.iterator();
        }
    }
}
