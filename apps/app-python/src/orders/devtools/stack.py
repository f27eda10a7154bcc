"""Run the orders stack locally as real processes: an AWS-API server (moto), the API, the worker.

Every child gets a parent-death signal so it dies with its parent, and ``LocalStack`` stops what it
started (SIGTERM, then SIGKILL after a bounded wait) even when the caller fails. Waits are
polls with deadlines.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from orders.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _with_parent_death_signal(args: list[str]) -> list[str]:
    """Prefix ``setpriv --pdeathsig TERM`` (util-linux) so the child dies with its parent.

    (A ``preexec_fn`` would do the same but is unsafe in a process that runs threads.)
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *args] if setpriv else args


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Poll ``probe`` until it returns something truthy; TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


class ManagedProcess:
    """A child process whose stdout+stderr go to a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.args = args
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log: IO[bytes] = log_path.open("ab")
        self.popen = subprocess.Popen(
            _with_parent_death_signal(args),
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.info("started %s (pid %s)", name, self.popen.pid)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0fs; killing it", self.name, timeout)
                self.popen.kill()
                self.popen.wait(timeout=timeout)
        self._log.close()
        return self.popen.returncode

    def text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def json_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (non-JSON lines skipped)."""
        lines = []
        for line in self.text().splitlines():
            line = line.strip()
            if line.startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):
                    lines.append(json.loads(line))
        return lines

    def wait_for_log(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float, what: str
    ) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            for line in self.json_lines():
                if predicate(line):
                    return line
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited ({self.returncode}) while waiting for {what}:\n"
                    + self.text()[-3000:]
                )
            return None

        return wait_until(probe, timeout, f"{self.name}: {what}")


class MotoServer(ManagedProcess):
    """moto's AWS-API server (SQS, DynamoDB, ...) on a loopback port."""

    def __init__(self, log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        env = {**os.environ, **LOCAL_AWS_ENV}
        super().__init__(
            "moto_server",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env,
            log_path,
        )
        wait_until(lambda: self._up(), 60, f"moto_server on port {self.port}")

    def _up(self) -> bool:
        if not self.alive():
            raise RuntimeError(f"moto_server exited ({self.returncode}):\n{self.text()[-2000:]}")
        return port_open(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class LocalStack:
    """Queue, DLQ and table (unique names by default) plus API and worker processes."""

    def __init__(
        self,
        workdir: Path,
        aws_endpoint: str,
        *,
        name: str | None = None,
        otlp_endpoint: str | None = None,
        env: dict[str, str] | None = None,
        api_port: int | None = None,
    ) -> None:
        self.workdir = workdir
        self.aws_endpoint = aws_endpoint
        self.name = name or f"orders-{uuid.uuid4().hex[:8]}"
        self.otlp_endpoint = otlp_endpoint
        self.extra_env = env or {}
        self.api_port = api_port or free_port()
        self.processes: list[ManagedProcess] = []
        self._counter = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def queue_name(self) -> str:
        return self.name

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"

    @property
    def table_name(self) -> str:
        return self.name

    def env(self, **overrides: str) -> dict[str, str]:
        """Environment of a child: the stack's names and endpoints, test-friendly timings."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "FAULT_"))}
        base.update(LOCAL_AWS_ENV)
        base.update(
            {
                "PYTHONUNBUFFERED": "1",
                "AWS_ENDPOINT_URL": self.aws_endpoint,
                "ORDERS_QUEUE_NAME": self.queue_name,
                "ORDERS_DLQ_NAME": self.dlq_name,
                "ORDERS_TABLE_NAME": self.table_name,
                "API_HOST": "127.0.0.1",
                "API_PORT": str(self.api_port),
                "WORKER_WAIT_SECONDS": "1",
                "QUEUE_STATS_INTERVAL_SECONDS": "1",
                "FAULTS_REFRESH_SECONDS": "0.5",
                "DEPLOYMENT_ENVIRONMENT": "dev-local",
            }
        )
        if self.otlp_endpoint:
            base.update(
                {
                    "OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp_endpoint,
                    "OTEL_TRACES_EXPORTER": "otlp",
                    "OTEL_METRICS_EXPORTER": "otlp",
                    "OTEL_LOGS_EXPORTER": "none",
                    "OTEL_METRIC_EXPORT_INTERVAL": "500",
                    "OTEL_BSP_SCHEDULE_DELAY": "200",
                }
            )
        else:
            base["OTEL_SDK_DISABLED"] = "true"
        base.update(self.extra_env)
        base.update(overrides)
        return base

    def settings(self, **overrides: Any) -> Settings:
        """Settings for talking to this stack from the current process (field names)."""
        values: dict[str, Any] = {
            "aws_endpoint_url": self.aws_endpoint,
            "queue_name": self.queue_name,
            "dlq_name": self.dlq_name,
            "table_name": self.table_name,
            **overrides,
        }
        return Settings(**values)

    def _log_path(self, role: str) -> Path:
        self._counter += 1
        return self.workdir / f"{self.name}-{role}-{self._counter}.log"

    def bootstrap(self, **env: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "orders.bootstrap"],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"orders-bootstrap failed: {result.stderr.strip()}")
        return result.stdout

    def start_api(self, wait: bool = True, **env: str) -> ManagedProcess:
        process = ManagedProcess(
            "orders-api",
            [sys.executable, "-m", "orders.api"],
            self.env(**env),
            self._log_path("api"),
        )
        self.processes.append(process)
        if wait:
            self.wait_api(process)
        return process

    def wait_api(self, process: ManagedProcess, timeout: float = 120) -> None:
        url = f"{self.base_url}/healthz/live"

        def up() -> bool:
            if not process.alive():
                raise RuntimeError(
                    f"orders-api exited ({process.returncode}):\n{process.text()[-3000:]}"
                )
            return http_status(url, timeout=0.5) == 200

        wait_until(up, timeout, "orders-api /healthz/live")

    def start_worker(self, wait: bool = True, **env: str) -> ManagedProcess:
        process = ManagedProcess(
            "orders-worker",
            [sys.executable, "-m", "orders.worker"],
            self.env(**env),
            self._log_path("worker"),
        )
        self.processes.append(process)
        if wait:
            self.wait_worker(process)
        return process

    @staticmethod
    def wait_worker(process: ManagedProcess, timeout: float = 120) -> None:
        process.wait_for_log(
            lambda line: line.get("message") == "worker started", timeout, "worker started"
        )

    def start(self, **env: str) -> tuple[ManagedProcess, ManagedProcess]:
        """API and worker started side by side (faster), then both awaited."""
        api = self.start_api(wait=False, **env)
        worker = self.start_worker(wait=False, **env)
        self.wait_api(api)
        self.wait_worker(worker)
        return api, worker

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def terminate_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into SystemExit so that ``finally`` blocks stop the children."""

    def _raise(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
