package io.texttoimage.hub;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ByteSizesTest {

    @Test
    void binaryUnitsWithOneDecimal() {
        assertEquals("3.4 GB", ByteSizes.format(3_650_722_202L));
        assertEquals("512 B", ByteSizes.format(512));
        assertEquals("1.0 MB", ByteSizes.format(1 << 20));
    }
}
