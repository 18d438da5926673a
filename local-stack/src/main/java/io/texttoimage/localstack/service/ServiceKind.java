package io.texttoimage.localstack.service;

import java.nio.file.Path;

/**
 * The three Quarkus applications of the system, with their default local HTTP ports and management ports (health and
 * metrics, {@code quarkus.management.port}; see docs/local-stack.md).
 */
public enum ServiceKind {
    STORAGE_ADAPTER("storage-adapter", 8082, 9082),
    GENERATOR("generator", 8081, 9081),
    GATEWAY("gateway", 8080, 9080);

    private final String module;
    private final int defaultPort;
    private final int defaultManagementPort;

    ServiceKind(String module, int defaultPort, int defaultManagementPort) {
        this.module = module;
        this.defaultPort = defaultPort;
        this.defaultManagementPort = defaultManagementPort;
    }

    public int defaultManagementPort() {
        return defaultManagementPort;
    }

    public String module() {
        return module;
    }

    public int defaultPort() {
        return defaultPort;
    }

    /** What {@code ./mvnw -pl <module> -am install -DskipTests} produces. */
    public Path runJar(Path repoRoot) {
        return repoRoot.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }
}
