# shellcheck shell=bash
# Environment of the lab on one machine (sourced by airflow.sh and the demo).
# Airflow home, SQLite metadata, the local runner, no example DAGs, small parallelism.
LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export AIRFLOW_HOME=${AIRFLOW_HOME:-$LAB_ROOT/.airflow}
export AIRFLOW__CORE__DAGS_FOLDER=$LAB_ROOT/dags
export AIRFLOW__CORE__PLUGINS_FOLDER=$LAB_ROOT/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM=${AIRFLOW__CORE__PARALLELISM:-4}
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///$AIRFLOW_HOME/airflow.db
export AIRFLOW_PORT=${AIRFLOW_PORT:-8090}
export AIRFLOW__API__PORT=$AIRFLOW_PORT
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$AIRFLOW_PORT/execution/
export KINDOPS_RUNNER=local
export KINDOPS_ARTIFACTS=${KINDOPS_ARTIFACTS:-$LAB_ROOT/artifacts}
