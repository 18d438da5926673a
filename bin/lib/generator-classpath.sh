# Sourced by bin/sd-generate and bin/benchmark-pipeline: builds the generator module when it was never built or its
# sources changed since, then sets GENERATOR_CP to its classes plus the runtime classpath Maven wrote.
T2I_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
T2I_GENERATOR="$T2I_ROOT/generator"
T2I_CP_FILE="$T2I_GENERATOR/target/runtime-classpath.txt"

t2i_generator_stale() {
  [ -f "$T2I_CP_FILE" ] || return 0
  [ -f "$T2I_GENERATOR/target/classes/io/texttoimage/generator/cli/SdGenerateCommand.class" ] || return 0
  [ -n "$(find "$T2I_GENERATOR/src/main" "$T2I_ROOT/contracts/src/main" "$T2I_GENERATOR/pom.xml" "$T2I_ROOT/pom.xml" -newer "$T2I_CP_FILE" -print -quit)" ] && return 0
  local entry entries
  IFS=: read -r -a entries < "$T2I_CP_FILE"
  for entry in "${entries[@]}"; do [ -e "$entry" ] || return 0; done
  return 1
}

if t2i_generator_stale; then
  echo "$(basename "$0"): building the generator module (first use or changed sources; about a minute)..." >&2
  mkdir -p "$T2I_GENERATOR/target"
  T2I_BUILD_LOG="$T2I_GENERATOR/target/cli-build.log"
  if ! (cd "$T2I_ROOT" && ./mvnw -B -q -pl generator -am compile >"$T2I_BUILD_LOG" 2>&1); then
    grep -E '^\[ERROR\]' "$T2I_BUILD_LOG" | head -20 >&2 || true
    echo "$(basename "$0"): the build failed; full log: $T2I_BUILD_LOG" >&2
    exit 1
  fi
  touch "$T2I_CP_FILE"
fi
# The Quarkus worker brings jboss-logmanager; a plain main logs through java.util.logging, so leave it out (it would
# complain that it was not installed as the log manager).
GENERATOR_CP="$T2I_GENERATOR/target/classes:$(tr ':' '\n' < "$T2I_CP_FILE" | grep -v '/jboss-logmanager' | paste -sd: -)"
