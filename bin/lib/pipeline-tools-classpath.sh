# Sourced by bin/sd-generate and bin/benchmark-pipeline: builds the pipeline and pipeline-tools modules when they
# were never built or their sources changed since, then sets PIPELINE_TOOLS_CP to the tools' classes plus the runtime
# classpath Maven wrote (the pipeline library, ONNX Runtime, Jackson, picocli; no Quarkus).
T2I_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
T2I_TOOLS="$T2I_ROOT/pipeline-tools"
T2I_CP_FILE="$T2I_TOOLS/target/runtime-classpath.txt"

t2i_tools_stale() {
  [ -f "$T2I_CP_FILE" ] || return 0
  [ -f "$T2I_TOOLS/target/classes/io/texttoimage/tools/SdGenerateCommand.class" ] || return 0
  [ -n "$(find "$T2I_ROOT/contracts/src/main" "$T2I_ROOT/pipeline/src/main" "$T2I_ROOT/pipeline/pom.xml" "$T2I_TOOLS/src/main" "$T2I_TOOLS/pom.xml" \
    "$T2I_ROOT/pom.xml" -newer "$T2I_CP_FILE" -print -quit)" ] && return 0
  local entry entries
  IFS=: read -r -a entries < "$T2I_CP_FILE"
  for entry in "${entries[@]}"; do [ -e "$entry" ] || return 0; done
  return 1
}

if t2i_tools_stale; then
  echo "$(basename "$0"): building the pipeline and its tools (first use or changed sources; about a minute)..." >&2
  mkdir -p "$T2I_TOOLS/target"
  T2I_BUILD_LOG="$T2I_TOOLS/target/cli-build.log"
  if ! (cd "$T2I_ROOT" && ./mvnw -B -q -pl pipeline-tools -am compile >"$T2I_BUILD_LOG" 2>&1); then
    grep -E '^\[ERROR\]' "$T2I_BUILD_LOG" | head -20 >&2 || true
    echo "$(basename "$0"): the build failed; full log: $T2I_BUILD_LOG" >&2
    exit 1
  fi
  touch "$T2I_CP_FILE"
fi
PIPELINE_TOOLS_CP="$T2I_TOOLS/target/classes:$(cat "$T2I_CP_FILE")"
