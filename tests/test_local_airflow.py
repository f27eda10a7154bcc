"""`make airflow`: Airflow standalone for a person, started and stopped for real.

The script runs as a terminal would run it (its own process group); Ctrl-C is SIGINT to that
group. Airflow starts every DAG of the lab without import errors, and after the stop no process
of that Airflow home is left (the api-server, scheduler, dag-processor, triggerer, their
LocalExecutor workers and log servers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT
from tests.support.servers import free_port

pytestmark = pytest.mark.integration

STARTUP_SECONDS = 420
DAG_IDS = sorted(p.stem for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_"))


def processes_of(home: Path) -> dict[int, str]:
    """pid -> command line of every live process whose environment names this Airflow home."""
    marker = f"AIRFLOW_HOME={home}".encode()
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found[int(proc.name)] = (
                    (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
        except OSError:
            continue
    return found


def get(url: str) -> Any:
    response = requests.get(url, timeout=5)
    response.raise_for_status()
    return response.json()


def wait_until(what: str, check: Any, proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + STARTUP_SECONDS
    last: object = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, (
            f"airflow.sh exited {proc.returncode}:\n{log.read_text()[-3000:]}"
        )
        try:
            last = check()
            if last:
                return last
        except (requests.RequestException, ValueError) as exc:
            last = exc
        time.sleep(2)
    pytest.fail(
        f"{what} not reached in {STARTUP_SECONDS}s (last: {last})\n{log.read_text()[-3000:]}"
    )


def test_make_airflow_serves_every_dag_and_stops_without_orphans(tmp_path: Path) -> None:
    home, port = tmp_path / "airflow-home", free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_PORT": str(port),
        "KINDOPS_ARTIFACTS": str(tmp_path / "artifacts"),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__CORE__PARALLELISM": "2",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    api = f"http://127.0.0.1:{port}/api/v2"
    log = tmp_path / "airflow.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["bash", str(ROOT / "infra/local/airflow.sh")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # As from a terminal: a runner started in the background may have SIGINT ignored,
            # which a shell script inherits and cannot trap.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:

        def healthy() -> bool:
            health = get(f"{api}/monitor/health")
            parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
            return all(health.get(p, {}).get("status") == "healthy" for p in parts)

        def every_dag() -> list[str] | None:
            listed = sorted(d["dag_id"] for d in get(f"{api}/dags?limit=100")["dags"])
            return listed if listed == DAG_IDS else None

        wait_until("a healthy Airflow", healthy, proc, log)
        assert wait_until("every DAG parsed", every_dag, proc, log) == DAG_IDS
        assert get(f"{api}/importErrors")["total_entries"] == 0
        assert processes_of(home), "the Airflow processes carry the home they were started with"
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
        assert proc.wait(timeout=120) in (0, 130, 143), log.read_text()[-3000:]
        left: dict[int, str] = {}
        for _ in range(10):  # children reparented to init may take a moment to be reaped
            left = processes_of(home)
            if not left:
                break
            time.sleep(1)
        assert left == {}, f"orphaned Airflow processes after the stop: {left}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for _ in range(10):  # a parent may spawn a child between one sweep and the next
            left_over = processes_of(home)
            if not left_over:
                break
            for pid in left_over:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    continue
            time.sleep(0.5)
