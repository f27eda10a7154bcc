"""Real local servers for tests: started as processes on loopback, stopped with their children."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from kindops.localproc import MotoServer as MotoServer  # re-exported for the tests
from kindops.localproc import free_port as free_port
from kindops.localproc import stop_group

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers (any status below 500) or the deadline passes."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited early with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


@contextmanager
def process(
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    health: str | None = None,
    log: Path | None = None,
    timeout: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` in its own process group for the block; wait for ``health`` if given."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        list(args),
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        if health:
            wait_http(health, timeout, proc)
        yield proc
    finally:
        stop_group(proc)
        if log:
            out.close()  # type: ignore[union-attr]


@contextmanager
def silent_server() -> Iterator[str]:
    """A URL on loopback whose server takes connections and never answers: a dependency that
    hangs (the kernel completes the handshakes; nothing ever reads or replies)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


class Pushgateway:
    """A real Prometheus Pushgateway (Debian's binary) on loopback, with its own state file and
    log in ``workdir`` (the Debian build otherwise persists to a shared file under /var/lib).

    Read back what was pushed with :meth:`metrics` (the exposition text), :meth:`samples` (one
    metric keyed by its label text), :meth:`pushed` (parsed samples) or :meth:`group` (one push
    group's metrics by name). Tests get a fresh one per test from the ``pushgateway`` fixture.
    """

    BINARY = shutil.which("prometheus-pushgateway") or "/usr/bin/prometheus-pushgateway"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._stack = ExitStack()

    def __enter__(self) -> Pushgateway:
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            self.BINARY,
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--persistence.file={self.workdir / 'pushgateway.data'}",
        ]
        log = self.workdir / "pushgateway.log"
        self.proc = self._stack.enter_context(
            process(args, health=f"{self.url}/-/ready", log=log, timeout=30)
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self.proc = None

    def metrics(self) -> str:
        """The exposition text of ``/metrics``: pushed series and the gateway's own."""
        resp = requests.get(f"{self.url}/metrics", timeout=10)
        resp.raise_for_status()
        return resp.text

    def samples(self, name: str) -> dict[str, float]:
        """``{label text: value}`` of every sample of ``name``, the label text as the gateway
        exposes it (sorted, ``instance=""`` included): ``{'{instance="",job="x"}': 1.0}``."""
        found = {}
        for line in self.metrics().splitlines():
            if line.startswith((name + "{", name + " ")):
                head, _, value = line.rpartition(" ")
                found[head.removeprefix(name)] = float(value)
        return found

    def pushed(self, prefix: str = "kindops_") -> list[Sample]:
        """Parsed samples whose metric name starts with ``prefix`` (the jobs' metrics)."""
        return [
            sample
            for family in text_string_to_metric_families(self.metrics())
            for sample in family.samples
            if sample.name.startswith(prefix)
        ]

    def group(self, job: str, prefix: str = "kindops_") -> dict[str, float]:
        """``{metric name: value}`` of the ``prefix`` metrics pushed under ``job``."""
        return {s.name: s.value for s in self.pushed(prefix) if s.labels.get("job") == job}


@pytest.fixture()
def pushgateway(tmp_path: Path) -> Iterator[Pushgateway]:
    """A fresh real Pushgateway for one test; conftests offer it by importing it."""
    with Pushgateway(tmp_path / "pushgateway") as gateway:
        yield gateway


ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
#: An Alertmanager that accepts every alert and notifies nobody (tests read its API).
QUIET_ROUTE = (
    "route:\n  receiver: blackhole\n  group_by: [alertname]\nreceivers:\n  - name: blackhole\n"
)


@contextmanager
def alertmanager_process(folder: Path, config: str = QUIET_ROUTE) -> Iterator[str]:
    """A real Alertmanager on loopback with ``config`` (YAML text) and its own storage."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alertmanager.yml").write_text(config, encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [
        ALERTMANAGER,
        f"--config.file={folder / 'alertmanager.yml'}",
        f"--storage.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with process(args, health=f"{url}/-/ready", log=folder / "alertmanager.log"):
        yield url


@pytest.fixture()
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """A fresh real Alertmanager (quiet route) for one test; its URL."""
    with alertmanager_process(tmp_path / "alertmanager") as url:
        yield url
