# kindops-lab — every entry point. On a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
ROOT := $(CURDIR)
export PATH := $(ROOT)/.tools/bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
UV := $(ROOT)/.tools/bin/uv
RUN := $(UV) run --frozen
APP_PY := apps/app-python
APP_JAVA := apps/app-java

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# --- setup ---------------------------------------------------------------------------------
.PHONY: tools setup
tools: ## Install the pinned non-Python tools (tools.versions): built once into the tools cache, linked into .tools/
	@.ci/install-tools

setup: tools ## Tools + the Python environments (uv, from the lock files)
	@$(UV) sync --frozen --quiet
	@$(UV) sync --frozen --quiet --project $(APP_PY)

# --- the two commands ----------------------------------------------------------------------
.PHONY: demo test check
demo: setup ## The local demo: AWS-API server, apps, and the aws_cleanup DAG on the local runner
	@$(RUN) python infra/local/demo.py

SUITES := lint typecheck test-lab test-app-python test-app-java k6-smoke
test: setup ## All tests: every suite below, then each suite's wall time
	@$(TIMED) --reset
	@$(MAKE) --no-print-directory $(SUITES) || { $(TIMED) --report; exit 1; }
	@$(TIMED) --report
	@echo "make test: all suites passed"

check: setup ## Fast feedback: lint, types and the unit tests (no local servers or processes)
	@$(TIMED) --reset
	@$(MAKE) --no-print-directory lint typecheck unit || { $(TIMED) --report; exit 1; }
	@$(TIMED) --report
	@echo "make check: passed"

# --- pieces of `make test` (each timed by .ci/timed) ------------------------------------------
.PHONY: lint imports typecheck unit test-lab test-app-python test-app-java k6-smoke
TIMED := $(ROOT)/.ci/timed
lint: imports ## ruff lint + format check over all Python, and the import contracts
	@$(TIMED) lint bash -euo pipefail -c '$(RUN) ruff check . && $(RUN) ruff format --check . \
	  && cd $(APP_PY) && $(UV) run --frozen ruff check . && $(UV) run --frozen ruff format --check .'

# The import contracts of pyproject.toml ([tool.importlinter]); what import-linter cannot see (DAG
# files by bare name, app-python's tests, folders that are no package) is tests/test_boundaries.py,
# a unit test (make check, make test).
imports: ## Import contracts: dags -> plugins -> Airflow; the jobs package and the apps stand alone
	@PYTHONPATH=include:plugins:$(APP_PY)/src $(TIMED) imports $(RUN) lint-imports --no-cache --no-logo

typecheck: ## mypy over all Python
	@$(TIMED) typecheck bash -euo pipefail -c '$(RUN) mypy && cd $(APP_PY) && $(UV) run --frozen mypy'

unit: ## The unit tests of the lab and app-python (tests marked integration left out)
	@$(TIMED) unit-lab $(RUN) pytest -m "not integration" -q
	@cd $(APP_PY) && $(TIMED) unit-app-python $(UV) run --frozen pytest tests/unit -q

# The app-java jar, which lab and app-python tests run for real (built once, when stale).
APP_JAVA_JAR := $(APP_JAVA)/target/app-java.jar
$(APP_JAVA_JAR): $(APP_JAVA)/pom.xml $(shell find $(APP_JAVA)/src/main -type f)
	@cd $(APP_JAVA) && $(TIMED) app-java-jar mvn -B -ntp -q -DskipTests package

# Two pytest workers: most of the lab's tests wait on local servers and processes, not on the CPU.
# Tests marked xdist_group("gameday") run one at a time on one worker (each loads the apps and
# reads its own SLO burn). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
test-lab: $(APP_JAVA_JAR) ## Jobs package, plugins, DAGs (incl. `airflow dags test` on the local runner)
	@$(TIMED) test-lab $(RUN) pytest -n $(PYTEST_WORKERS) --dist loadgroup

test-app-python: $(APP_JAVA_JAR) ## app-python unit + integration tests
	@cd $(APP_PY) && $(TIMED) test-app-python $(UV) run --frozen pytest

test-app-java: ## app-java: mvn verify
	@cd $(APP_JAVA) && $(TIMED) test-app-java mvn -B -ntp verify

k6-smoke: ## k6 smoke scenarios against the locally started apps (summaries in artifacts/)
	@mkdir -p artifacts/k6-smoke
	@$(TIMED) k6-smoke bash -euo pipefail -c '\
	  K6_SUMMARY_PATH=$(ROOT)/artifacts/k6-smoke/app-python-summary.json $(APP_PY)/scripts/k6-smoke.sh \
	  && K6_SUMMARY_PATH=$(ROOT)/artifacts/k6-smoke/app-java-summary.json $(APP_JAVA)/scripts/k6-smoke.sh'

# --- generated files ------------------------------------------------------------------------
.PHONY: collector dashboards k6-configmap rules
collector: ## Build otelcol-kindops (the collector the config is validated with)
	@.ci/install-tools collector

dashboards: ## Regenerate the Grafana dashboards JSON (committed; tests check it is current)
	@$(RUN) kindops dashboards generate

rules: ## Regenerate the SLO rules from their specs, then the cluster's PrometheusRules from every rule file
	@$(RUN) kindops slo generate
	@$(RUN) kindops slo prometheusrules

k6-configmap: ## Regenerate the k6 scenarios ConfigMap from include/k6 (committed; a test checks it)
	@$(RUN) kindops k6 configmap --output gitops/platform/kindops-jobs/k6-scenarios-configmap.yaml

# --- running the lab on one machine ---------------------------------------------------------
.PHONY: airflow bench clean
airflow: setup ## Airflow standalone on http://127.0.0.1:8090 (SQLite, local runner); Ctrl-C stops it
	@infra/local/airflow.sh

bench: setup ## Benchmarks: figures and ratios, side by side (no pass/fail)
	@for b in tests/bench/bench_*.py; do echo "== $$b"; $(RUN) python "$$b"; done
	@cd $(APP_PY) && $(UV) run --frozen python scripts/bench.py
	@$(APP_JAVA)/scripts/bench.sh

clean: ## Remove local state (environments, tools, artifacts)
	rm -rf .venv $(APP_PY)/.venv .tools artifacts .airflow $(APP_JAVA)/target
