# Sourced by the bin/ scripts: picks a JDK >= 21 (JAVA_HOME if it is one, else a known install, else `java` on PATH).
t2i_java_ok() { "$1/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; }
if [ -z "${JAVA_HOME:-}" ] || ! t2i_java_ok "$JAVA_HOME"; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64; do
    if [ -x "$candidate/bin/java" ] && t2i_java_ok "$candidate"; then JAVA_HOME="$candidate"; break; fi
  done
  if [ -z "$JAVA_HOME" ] && command -v java >/dev/null; then
    candidate="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
    t2i_java_ok "$candidate" && JAVA_HOME="$candidate"
  fi
  if [ -z "$JAVA_HOME" ]; then
    echo "text-to-image needs a JDK 21 or newer: install one and set JAVA_HOME." >&2
    exit 2
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
