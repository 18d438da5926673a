package io.texttoimage.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlobLockTest {

    @TempDir
    Path cacheDir;

    @Test
    void aSecondWriterOfTheSameBlobWaitsForTheFirst() throws Exception {
        Path lockFile = cacheDir.resolve(".locks/models--org--name/abc.lock");
        CountDownLatch secondHasIt = new CountDownLatch(1);
        BlobLock first = BlobLock.acquire(lockFile);
        assertTrue(Files.isRegularFile(lockFile), "the lock file and its folders are created");
        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
            try (BlobLock ignored = BlobLock.acquire(lockFile)) {
                secondHasIt.countDown();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            assertFalse(secondHasIt.await(300, TimeUnit.MILLISECONDS), "the second writer got in while the first wrote");
        } finally {
            first.close();
        }
        assertTrue(secondHasIt.await(10, TimeUnit.SECONDS), "the second writer never got the lock");
        second.get(10, TimeUnit.SECONDS);
    }

    @Test
    void differentBlobsDoNotWaitForEachOther() throws Exception {
        try (BlobLock a = BlobLock.acquire(cacheDir.resolve("a.lock"));
             BlobLock b = BlobLock.acquire(cacheDir.resolve("b.lock"))) {
            assertTrue(Files.exists(cacheDir.resolve("a.lock")) && Files.exists(cacheDir.resolve("b.lock")));
        }
    }
}
