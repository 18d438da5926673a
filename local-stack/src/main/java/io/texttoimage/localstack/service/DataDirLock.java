package io.texttoimage.localstack.service;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One stack per data folder: an OS file lock (released by the kernel even if the launcher is SIGKILLed) plus the
 * pid files of the services, so leftovers of a killed launcher can be stopped before a new stack starts.
 */
public final class DataDirLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    public static DataDirLock acquire(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path lockFile = dataDir.resolve("stack.lock");
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException heldByThisJvm) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("Another text-to-image local stack is running on " + dataDir
                    + ": stop it (Ctrl-C in its terminal) or give this one its own folder with T2I_DATA_DIR.");
        }
        return new DataDirLock(channel, lock);
    }

    /** Stops services listed in {@code runDir} whose process still runs a Quarkus app: leftovers of a killed launcher. */
    public static void stopLeftovers(Path runDir, Consumer<String> log) throws IOException {
        if (!Files.isDirectory(runDir)) {
            return;
        }
        try (var pidFiles = Files.list(runDir)) {
            for (Path pidFile : pidFiles.filter(p -> p.toString().endsWith(".pid")).toList()) {
                leftover(pidFile).ifPresent(process -> {
                    log.accept("stopping " + pidFile.getFileName() + " (pid " + process.pid() + ") left over from an earlier run");
                    process.destroy();
                    try {
                        process.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception timeout) {
                        process.destroyForcibly();
                    }
                });
                Files.deleteIfExists(pidFile);
            }
        }
    }

    private static Optional<ProcessHandle> leftover(Path pidFile) throws IOException {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().arguments().map(args -> String.join(" ", args).contains("quarkus-run.jar")).orElse(false));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
