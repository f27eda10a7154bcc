# shellcheck shell=bash
# Shared by k6-smoke.sh and bench.sh: build the jar if needed, run it on loopback, stop it.
# Source it; it sets APP_DIR, REPO_DIR, K6, JAR and, after app_start, APP_PID, APP_PORT, APP_LOG.

APP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$APP_DIR/../.." && pwd)
K6=${K6:-$REPO_DIR/.venv/bin/k6}
JAR=$APP_DIR/target/app-java.jar
STARTUP_TIMEOUT_S=${STARTUP_TIMEOUT_S:-180}
APP_PID=
APP_PORT=
APP_LOG=

die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

require_tools() {
  command -v java >/dev/null || die "java not found (JDK 17 expected)"
  command -v curl >/dev/null || die "curl not found"
  [[ -x $K6 ]] || die "k6 not found at $K6 (set K6=/path/to/k6)"
}

# Rebuild when the jar is missing or older than the sources.
app_build() {
  if [[ -f $JAR ]] && [[ -z $(find "$APP_DIR/src/main" "$APP_DIR/pom.xml" -newer "$JAR" -print -quit) ]]; then
    return
  fi
  command -v mvn >/dev/null || die "mvn not found (Maven 3.8+ expected) and $JAR is missing or stale"
  echo "building $JAR" >&2
  (cd "$APP_DIR" && mvn -B -q -DskipTests package) || die "build failed"
}

# Starts the jar on 127.0.0.1 on a port the OS picks, exporters off, JSON logs to a file.
app_start() {
  APP_LOG=$APP_DIR/target/app-java-$(basename "$0" .sh).log
  # JAVA_OPTS holds several JVM flags: split on purpose.
  # shellcheck disable=SC2086
  SERVER_ADDRESS=127.0.0.1 SERVER_PORT=0 \
    OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \
    java ${JAVA_OPTS:-} -jar "$JAR" >"$APP_LOG" 2>&1 &
  APP_PID=$!
  trap app_stop EXIT
  local deadline=$((SECONDS + STARTUP_TIMEOUT_S))
  while [[ -z $APP_PORT ]]; do
    if ! kill -0 "$APP_PID" 2>/dev/null; then
      tail -n 20 "$APP_LOG" >&2
      die "app-java exited during start-up (log: $APP_LOG)"
    fi
    ((SECONDS < deadline)) || die "app-java did not start within ${STARTUP_TIMEOUT_S}s (log: $APP_LOG)"
    APP_PORT=$(grep -o 'Tomcat started on port [0-9]*' "$APP_LOG" | grep -o '[0-9]*$' || true)
    [[ -n $APP_PORT ]] || sleep 0.5
  done
  until curl -fsS -o /dev/null "http://127.0.0.1:$APP_PORT/actuator/health/readiness"; do
    ((SECONDS < deadline)) || die "app-java not ready within ${STARTUP_TIMEOUT_S}s (log: $APP_LOG)"
    sleep 0.5
  done
  echo "app-java ready on http://127.0.0.1:$APP_PORT (pid $APP_PID, log $APP_LOG)" >&2
}

# SIGTERM (graceful shutdown), then wait for the process to exit.
app_stop() {
  if [[ -n $APP_PID ]] && kill -0 "$APP_PID" 2>/dev/null; then
    kill -TERM "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
  fi
  APP_PID=
}
