# Sourced by the benchmarks that run the whole stack from e2e-tests' test classes (bin/benchmark-first-step,
# bin/benchmark-eta), from the repository root, after bin/lib/java.sh. Defines:
#   e2e_bench_build NAME CLASS [rebuild-stale]
#                                packages the services when their jars are missing (or, with rebuild-stale, older than
#                                their sources or the shared modules'; without it a benchmark warns and measures the
#                                jar), builds the benchmark classes and their classpath when CLASS is missing or
#                                older than the sources, and sets E2E_BENCH_CP to the classpath to run with.
e2e_bench_build() {
  local name="$1" class="$2" policy="${3:-}" cp_file=e2e-tests/target/bench-classpath.txt
  local module stale=""
  for module in gateway generator storage-adapter; do
    if [ ! -f "$module/target/quarkus-app/quarkus-run.jar" ]; then
      stale="$stale $module"
    elif [ -n "$(find "$module/src" "$module/pom.xml" contracts/src broker/src pipeline/src \
                 -newer "$module/target/quarkus-app/quarkus-run.jar" -print -quit 2>/dev/null)" ]; then
      if [ "$policy" = rebuild-stale ]; then
        stale="$stale $module"
      else
        echo "$name: note: $module has sources newer than its jar (measuring the jar; rebuild with" \
          "./mvnw -B -pl $module -am package -DskipTests)" >&2
      fi
    fi
  done
  # The services are run from their packaged jars, exactly as the e2e tests do.
  if [ -n "$stale" ]; then
    echo "$name: packaging$stale (a few minutes)..." >&2
    ./mvnw -B -q -pl "$(echo $stale | tr ' ' ',')" -am package -DskipTests >/dev/null
  fi
  # The benchmark lives in e2e-tests' test classes; contracts, broker, cli and local-stack come from the reactor.
  if [ ! -f "$class" ] || [ ! -f "$cp_file" ] \
     || [ -n "$(find e2e-tests/src e2e-tests/pom.xml local-stack/src local-stack/pom.xml contracts/src broker/src broker/pom.xml cli/src -newer "$class" -print -quit)" ]; then
    echo "$name: building the benchmark..." >&2
    # The whole reactor up to e2e-tests (local-stack needs cli; e2e-tests orders itself after the services), and the
    # dependency plugin by its coordinates: its prefix cannot be resolved offline (MAVEN_ARGS=-o).
    ./mvnw -B -q -pl e2e-tests -am test-compile \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
      -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
  fi
  E2E_BENCH_CP="e2e-tests/target/test-classes:$(cat "$cp_file")"
}
