#!/usr/bin/env bash
# Airflow 3 standalone for the lab on one machine: api-server (UI), scheduler, dag-processor and
# triggerer on SQLite with the local runner. Ctrl-C (or SIGTERM) stops every process it started.
set -euo pipefail
# shellcheck source=SCRIPTDIR/env.sh
. "$(dirname "$0")/env.sh"
cd "$LAB_ROOT"
mkdir -p "$AIRFLOW_HOME"
export PATH="$LAB_ROOT/.venv/bin:$PATH"
airflow db migrate >/dev/null
echo "Airflow UI: http://127.0.0.1:$AIRFLOW_PORT  (every DAG runs its tasks as local subprocesses)"
echo "Artifacts:  $KINDOPS_ARTIFACTS"
# A new session makes every Airflow process one group, so stopping is one signal to the group.
setsid "$LAB_ROOT/.venv/bin/airflow" standalone &
pid=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 -- "-$pid" 2>/dev/null || return 0; sleep 1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
trap stop INT TERM EXIT
wait "$pid"
