"""The local game-day lab: the apps as supervised processes, and their metrics in a real Prometheus.

``kindops gameday lab`` (or :class:`LocalLab` in a test) starts, all on 127.0.0.1:

* an AWS-API server (moto) with app-python's queue, DLQ and table (``orders-bootstrap``);
* app-python's API and worker (``apps/app-python/.venv``) and, with ``--app app-java``, app-java
  (``apps/app-java/target/app-java.jar``), each under a **supervisor** that restarts it when it
  exits (backoff 0.2 s doubling to 5 s) and keeps its pid in ``<workdir>/pids/<name>.pid`` —
  the local stand-in for the kubelet, which is what makes a local ``pod-delete`` meaningful;
* the lab's OpenTelemetry Collector (``.tools/bin/otelcol-kindops`` with
  ``observability/otel-collector/config.yaml``), which the apps send OTLP metrics to;
* Prometheus (``/usr/bin/prometheus``) scraping the collector's ``prometheus`` exporter every
  second with ``honor_labels`` (as the ServiceMonitor does in the cluster).

So the metrics path is the cluster's: app -> OTLP -> collector -> Prometheus scrape, and the game
day's probes, guard and SLO burn query the same series names (``job`` = service name).

At start the lab sends a few requests to each app and waits until every SLO of the started
services has data in Prometheus, so the error-budget guard can answer. :meth:`LocalLab.env`
gives the ``KINDOPS_*`` variables that point ``kindops gameday run --runner local`` at it.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import requests
import yaml

from kindops.errors import ConfigError, DependencyError
from kindops.localproc import free_port, http_ok, moto_server_exe, stop_group, wait_until
from kindops.slo.budget import NoSloDataError, remaining_budget
from kindops.slo.spec import load_specs

log = logging.getLogger("kindops.gameday.lab")

REPO = Path(__file__).resolve().parents[3]
LAB_APPS = ("app-python", "app-java")
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass
class Supervised:
    """A process kept running: restarted when it exits, its pid in ``<pids>/<name>.pid``."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    pids: Path
    restarts: int = 0
    proc: subprocess.Popen[bytes] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _log: IO[bytes] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def pidfile(self) -> Path:
        return self.pids / f"{self.name}.pid"

    def _spawn(self) -> None:
        if self._log is None:
            self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.args,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _write_atomic(self.pidfile, f"{self.proc.pid}\n")
        log.info("started %s", self.name, extra={"pid": self.proc.pid, "restarts": self.restarts})

    def start(self) -> Supervised:
        with self._lock:
            self._spawn()
        self._thread = threading.Thread(target=self._watch, name=f"supervise-{self.name}")
        self._thread.daemon = True
        self._thread.start()
        return self

    def _watch(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            proc = self.proc
            assert proc is not None
            began = time.monotonic()
            code = proc.wait()
            if self._stop.is_set():
                return
            if time.monotonic() - began > 10:
                backoff = 0.2
            log.warning(
                "%s exited; restarting", self.name, extra={"exit_code": code, "backoff": backoff}
            )
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, 5.0)
            with self._lock:
                if self._stop.is_set():
                    return
                self.restarts += 1
                self._spawn()

    def stop(self, grace: float = 10.0) -> None:
        self._stop.set()
        with self._lock:
            proc = self.proc
        if proc is not None:
            stop_group(proc, grace)
        if self._thread is not None:
            self._thread.join(grace)
        if self._log is not None:
            self._log.close()
        self.pidfile.unlink(missing_ok=True)


@dataclass
class Plain:
    """A dependency process (not supervised): stopped with its group."""

    name: str
    proc: subprocess.Popen[bytes]
    out: IO[bytes]

    def stop(self, grace: float = 10.0) -> None:
        stop_group(self.proc, grace)
        self.out.close()


class LocalLab:
    """Start with :meth:`start` (or ``with LocalLab(...) as lab``); everything stops together."""

    def __init__(
        self,
        workdir: Path,
        apps: Sequence[str] = ("app-python",),
        *,
        repo: Path = REPO,
        app_python_bin: Path | None = None,
        app_java_jar: Path | None = None,
        otelcol: Path | None = None,
        prometheus: str | None = None,
    ) -> None:
        unknown = sorted(set(apps) - set(LAB_APPS))
        if unknown or not apps:
            raise ConfigError(f"lab apps: {', '.join(unknown) or '(none)'}; pick from {LAB_APPS}")
        self.workdir = Path(workdir)
        self.apps = tuple(dict.fromkeys(apps))
        self.repo = repo
        self.app_python_bin = app_python_bin or repo / "apps/app-python/.venv/bin"
        self.app_java_jar = app_java_jar or repo / "apps/app-java/target/app-java.jar"
        self.otelcol = otelcol or repo / ".tools/bin/otelcol-kindops"
        self.prometheus_bin = prometheus or shutil.which("prometheus") or "/usr/bin/prometheus"
        self.collector_config = repo / "observability/otel-collector/config.yaml"
        self.slo_specs = repo / "observability/slos"
        self.pids = self.workdir / "pids"
        self.logs = self.workdir / "logs"
        self.admin_token = secrets.token_hex(16)
        self.ports = {
            n: free_port()
            for n in ("moto", "api", "java", "otlp", "otlp_grpc", "exporter", "health", "prom")
        }
        self.ports["telemetry"] = free_port()
        self.supervised: dict[str, Supervised] = {}
        self.plain: list[Plain] = []

    # -- URLs ----------------------------------------------------------------------------------
    @property
    def app_python_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def app_java_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['java']}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['prom']}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['moto']}"

    def env(self) -> dict[str, str]:
        """What ``kindops gameday run --runner local`` needs to use this lab."""
        env = {
            "KINDOPS_PROMETHEUS_URL": self.prometheus_url,
            "KINDOPS_GAMEDAY_PIDS": str(self.pids),
            # 1 s scrapes here: a 10 s window reacts within seconds (the cluster uses 1m). app-java
            # exports every ~5 s into one series per connection and path: it needs 30 s.
            "KINDOPS_GAMEDAY_PROBE_WINDOW": "30s" if "app-java" in self.apps else "10s",
            "KINDOPS_GAMEDAY_APP_PYTHON_URL": self.app_python_url,
            "KINDOPS_GAMEDAY_APP_PYTHON_ADMIN_TOKEN": self.admin_token,
        }
        if "app-java" in self.apps:
            env["KINDOPS_GAMEDAY_APP_JAVA_URL"] = self.app_java_url
            env["KINDOPS_GAMEDAY_APP_JAVA_ADMIN_TOKEN"] = self.admin_token
        return env

    # -- processes -----------------------------------------------------------------------------
    def _check_tools(self) -> None:
        needed: list[tuple[Path, str]] = [
            (self.otelcol, "run `.ci/install-tools collector`"),
            (Path(self.prometheus_bin), "install Prometheus (`.ci/install-tools prometheus`)"),
        ]
        if "app-python" in self.apps:
            for exe in ("orders-bootstrap", "orders-api", "orders-worker"):
                needed.append((self.app_python_bin / exe, "run `make setup` (app-python venv)"))
        if "app-java" in self.apps:
            needed.append((self.app_java_jar, "build it: `cd apps/app-java && mvn -B package`"))
            if not shutil.which("java"):
                raise ConfigError("java is not on PATH (JDK 17 runs app-java)")
        for path, how in needed:
            if not path.is_file():
                raise ConfigError(f"{path} is missing: {how}")

    def _plain(self, name: str, args: list[str], env: Mapping[str, str] | None = None) -> None:
        out = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            args,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.plain.append(Plain(name, proc, out))

    def _supervise(self, name: str, args: list[str], env: dict[str, str]) -> Supervised:
        sup = Supervised(name, args, env, self.logs / f"{name}.log", self.pids).start()
        self.supervised[name] = sup
        return sup

    def _otel_env(self, instance: str) -> dict[str, str]:
        return {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{self.ports['otlp']}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            "OTEL_RESOURCE_ATTRIBUTES": f"service.instance.id={instance}",
            "DEPLOYMENT_ENVIRONMENT": "dev-local",
        }

    def _start_observability(self) -> None:
        p = self.ports
        self._plain(
            "otelcol",
            [str(self.otelcol), f"--config={self.collector_config}"],
            {
                "OTELCOL_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{p['otlp_grpc']}",
                "OTELCOL_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{p['otlp']}",
                "OTELCOL_PROMETHEUS_ENDPOINT": f"127.0.0.1:{p['exporter']}",
                "OTELCOL_HEALTH_ENDPOINT": f"127.0.0.1:{p['health']}",
                "OTELCOL_TELEMETRY_HOST": "127.0.0.1",
                "OTELCOL_TELEMETRY_PORT": str(p["telemetry"]),
                "OTELCOL_LOG_LEVEL": "warn",
                # No trace or log pipeline carries data here (the apps export metrics only).
                "LOKI_OTLP_ENDPOINT": f"http://127.0.0.1:{p['health']}/otlp",
                "TEMPO_OTLP_ENDPOINT": f"127.0.0.1:{p['otlp_grpc']}",
                "KINDOPS_ENVIRONMENT": "dev-local",
                "KINDOPS_CLUSTER_NAME": "local-lab",
            },
        )
        config = self.workdir / "prometheus.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "scrape_configs": [
                        {
                            "job_name": "otel-collector",
                            "honor_labels": True,
                            "static_configs": [{"targets": [f"127.0.0.1:{p['exporter']}"]}],
                        }
                    ],
                }
            )
        )
        self._plain(
            "prometheus",
            [
                self.prometheus_bin,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{p['prom']}",
                "--log.level=warn",
            ],
        )
        wait_until(lambda: http_ok(f"http://127.0.0.1:{p['health']}/"), 60, "the collector")
        wait_until(lambda: http_ok(f"{self.prometheus_url}/-/ready"), 60, "Prometheus")

    def _start_app_python(self) -> None:
        bin_dir = self.app_python_bin
        moto = moto_server_exe()
        self._plain("moto", [moto, "-H", "127.0.0.1", "-p", str(self.ports["moto"])])
        wait_until(lambda: http_ok(f"{self.moto_url}/moto-api/"), 60, "the AWS-API server")
        base = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "FAULT_"))},
            **AWS_ENV,
            "AWS_ENDPOINT_URL": self.moto_url,
            "ORDERS_QUEUE_NAME": "orders",
            "ORDERS_DLQ_NAME": "orders-dlq",
            "ORDERS_TABLE_NAME": "orders",
            "API_HOST": "127.0.0.1",
            "API_PORT": str(self.ports["api"]),
            "ADMIN_TOKEN": self.admin_token,
            "WORKER_WAIT_SECONDS": "1",
            "QUEUE_STATS_INTERVAL_SECONDS": "1",
            "FAULTS_REFRESH_SECONDS": "0.5",
            "PYTHONUNBUFFERED": "1",
            "PRICING_URL": self.app_java_url if "app-java" in self.apps else "",
        }
        boot = subprocess.run(
            [str(bin_dir / "orders-bootstrap")],
            env=base,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if boot.returncode != 0:
            raise DependencyError(f"orders-bootstrap failed: {boot.stderr.strip()[-500:]}")
        self._supervise(
            "app-python-api",
            [str(bin_dir / "orders-api")],
            {**base, **self._otel_env("local-app-python-api")},
        )
        self._supervise(
            "app-python-worker",
            [str(bin_dir / "orders-worker")],
            {**base, **self._otel_env("local-app-python-worker")},
        )

    def _start_app_java(self) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "FAULT_"))},
            **self._otel_env("local-app-java"),
            "SERVER_ADDRESS": "127.0.0.1",
            "SERVER_PORT": str(self.ports["java"]),
            "ADMIN_TOKEN": self.admin_token,
            "SHUTDOWN_TIMEOUT": "2s",
        }
        java = shutil.which("java") or "java"
        opts = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m"]
        self._supervise("app-java-api", [java, *opts, "-jar", str(self.app_java_jar)], env)

    def _traffic(self, http: requests.Session, rounds: int, tag: str) -> None:
        for i in range(rounds):
            if "app-java" in self.apps:
                http.get(f"{self.app_java_url}/api/v1/prices/SKU-001", timeout=10)
            if "app-python" in self.apps:
                http.post(
                    f"{self.app_python_url}/orders",
                    json={"customer_id": "lab-seed", "items": [{"sku": "SKU-001", "quantity": 1}]},
                    headers={"Idempotency-Key": f"lab-seed-{self.admin_token[:8]}-{tag}-{i}"},
                    timeout=10,
                )

    def _query_has_result(self, query: str) -> Callable[[], bool]:
        def check() -> bool:
            try:
                body = requests.get(
                    f"{self.prometheus_url}/api/v1/query", params={"query": query}, timeout=5
                ).json()
            except (requests.RequestException, ValueError):
                return False
            return bool(body.get("data", {}).get("result"))

        return check

    def _seed(self) -> None:
        """A little traffic per app, until Prometheus can rate it (the SLOs have data).

        A counter's first scraped sample is never part of a rate (Prometheus has no earlier one to
        subtract), so the first round only creates the series; the second round is rated.
        """
        jobs = {"app-java": "http_server_request_duration_seconds_count"}
        jobs = {job: metric for job, metric in jobs.items() if job in self.apps}
        if "app-python" in self.apps:
            jobs["app-python"] = "http_server_request_duration_seconds_count"
            jobs["app-python-worker"] = "orders_processed_total"
        # One keep-alive session for all of it: app-java labels its duration metric with the
        # client's port, so every new connection would start a new series.
        with requests.Session() as http:
            self._traffic(http, 2, "a")
            for job, metric in jobs.items():
                check = self._query_has_result(f'{metric}{{job="{job}"}}')
                wait_until(check, 90, f"{job} series in Prometheus")
            self._traffic(http, 5, "b")
            for job, metric in jobs.items():
                check = self._query_has_result(f'sum(rate({metric}{{job="{job}"}}[1h])) > 0')
                wait_until(check, 90, f"{job} rates in Prometheus")
        # Every SLO of the started services must be measurable (the guard refuses unknown
        # budgets). Time-slice SLIs sample on minute boundaries: up to a minute more.
        for job in jobs:
            for slo in self._slos(job):
                wait_until(self._budget_known(job, slo), 120, f"{job} {slo} SLO data")

    def _slos(self, service: str) -> list[str]:
        specs = {s.service: s for s in load_specs(self.slo_specs).values()}
        return [slo.name for slo in specs[service].slos] if service in specs else []

    def _budget_known(self, service: str, slo: str) -> Callable[[], bool]:
        def check() -> bool:
            try:
                remaining_budget(self.prometheus_url, service, slo, specs_dir=self.slo_specs)
            except NoSloDataError:
                return False
            return True

        return check

    def start(self) -> LocalLab:
        self._check_tools()
        for folder in (self.pids, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        try:
            self._start_observability()
            if "app-java" in self.apps:
                self._start_app_java()
            if "app-python" in self.apps:
                self._start_app_python()
            if "app-java" in self.apps:
                url = f"{self.app_java_url}/actuator/health/readiness"
                wait_until(lambda: http_ok(url), 240, "app-java readiness")
            if "app-python" in self.apps:
                url = f"{self.app_python_url}/healthz/ready"
                wait_until(lambda: http_ok(url), 120, "app-python readiness")
            self._seed()
            _write_atomic(
                self.workdir / "lab.env",
                "".join(f"export {k}={v}\n" for k, v in sorted(self.env().items())),
            )
            os.chmod(self.workdir / "lab.env", 0o600)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for sup in reversed(list(self.supervised.values())):
            sup.stop()
        for plain in reversed(self.plain):
            plain.stop()
        self.supervised.clear()
        self.plain.clear()

    def __enter__(self) -> LocalLab:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def describe(self) -> dict[str, Any]:
        return {
            "apps": list(self.apps),
            "prometheus": self.prometheus_url,
            "app_python": self.app_python_url if "app-python" in self.apps else "",
            "app_java": self.app_java_url if "app-java" in self.apps else "",
            "pids": str(self.pids),
            "logs": str(self.logs),
            "env_file": str(self.workdir / "lab.env"),
        }
