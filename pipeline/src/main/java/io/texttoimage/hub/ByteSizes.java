package io.texttoimage.hub;

import java.util.Locale;

/** Byte counts as people read them ("3.4 GB"), for progress bars and disk-space messages. */
public final class ByteSizes {

    private ByteSizes() {
    }

    /** Binary units (1 KB = 1024 B) with one decimal; plain bytes below 1 KB. */
    public static String format(long count) {
        if (count < 1024) {
            return count + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double value = count;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
