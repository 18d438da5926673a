package io.texttoimage.contracts;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The storage adapter signs only keys of this shape, so the shape must match what {@link ImageStored#keyOf} makes. */
class ImageKeyTest {

    @Test
    void everyKeyTheGeneratorsMakeIsAnImageKey() {
        UUID job = UUID.randomUUID();
        for (int index = 0; index < 4; index++) {
            assertTrue(ImageStored.isImageKey(ImageStored.keyOf(job, index)), ImageStored.keyOf(job, index));
        }
    }

    @Test
    void anythingElseIsNot() {
        String job = UUID.randomUUID().toString();
        for (String key : new String[] {null, "", ".", "..", "images/", "images/" + job, "images/" + job + "/",
                "images/" + job + "/0.jpg", "images/" + job + "/00.png", "images/" + job + "/-1.png",
                "/images/" + job + "/0.png", "images/" + job.toUpperCase() + "/0.png", "images/../" + job + "/0.png",
                "other/" + job + "/0.png", "images/" + job + "/0.png/x", "images/" + job + "/0.png\n"}) {
            assertFalse(ImageStored.isImageKey(key), String.valueOf(key));
        }
    }
}
