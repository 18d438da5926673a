#!/bin/sh
# The generator container's entrypoint: starts the Quarkus application with a JVM AOT cache (JDK 24+, JEP 483/515:
# classes loaded and linked, methods profiled, ahead of time) when T2I_JVM_AOT_CACHE_DIR names a folder, so that the
# JVM and Quarkus part of a cold start shrinks (docs/cold-start.md, "JVM start"). Without the variable it is plain
# `java -jar`.
#
# The cache is one file per application build and JVM (its name carries a hash of both), on the graph-cache volume
# beside the optimised ONNX graphs. A pod that finds none records one during its run; the JVM writes it when the
# process exits (a scale-in, a rollout), into a private file that is renamed into place, so that readers never see
# half a cache. A cache the JVM cannot use (another JVM build, a changed class path) is ignored by the JVM itself
# with a warning, never fatal.
set -eu

APP_DIR="${T2I_APP_DIR:-/deployments}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
set -- -Djava.util.logging.manager=org.jboss.logmanager.LogManager "$@" -jar "$APP_DIR/quarkus-run.jar"

if [ -z "${T2I_JVM_AOT_CACHE_DIR:-}" ]; then
  exec "$JAVA" "$@"
fi

# Key: the application build (its class path and build metadata) and the exact JVM.
KEY=$( { cat "$APP_DIR/quarkus-run.jar" "$APP_DIR/quarkus/quarkus-application.dat" 2>/dev/null; \
         ls -l "$APP_DIR/lib/main" "$APP_DIR/lib/boot" 2>/dev/null; "$JAVA" -version 2>&1; } | sha256sum | cut -c1-16)
CACHE="$T2I_JVM_AOT_CACHE_DIR/generator-$KEY.aot"

if [ -s "$CACHE" ]; then
  exec "$JAVA" -XX:AOTCache="$CACHE" "$@"
fi

if ! mkdir -p "$T2I_JVM_AOT_CACHE_DIR" 2>/dev/null || [ ! -w "$T2I_JVM_AOT_CACHE_DIR" ]; then
  echo "generator-entrypoint: $T2I_JVM_AOT_CACHE_DIR is not writable; starting without a JVM AOT cache" >&2
  exec "$JAVA" "$@"
fi
PARTIAL="$CACHE.$(cat /proc/sys/kernel/hostname 2>/dev/null || echo host).$$.partial"
echo "generator-entrypoint: no JVM AOT cache for this build yet; recording $CACHE during this run" >&2
"$JAVA" -XX:AOTCacheOutput="$PARTIAL" -Xlog:aot=error "$@" &
PID=$!
# Stay in front of the JVM (PID 1 in a container) to rename the cache after it exits: pass the stop signals on.
trap 'kill -TERM "$PID" 2>/dev/null || true' TERM INT
STATUS=0
wait "$PID" || STATUS=$?
while kill -0 "$PID" 2>/dev/null; do
  STATUS=0
  wait "$PID" || STATUS=$?
done
if [ -s "$PARTIAL" ]; then
  mv -f "$PARTIAL" "$CACHE"
  echo "generator-entrypoint: stored the JVM AOT cache $CACHE for the next start" >&2
fi
rm -f "$PARTIAL" "$PARTIAL.config"
exit "$STATUS"
