"""Processes on this machine: the building blocks of the local lab, the demo and the tests.

A free loopback port, a bounded wait, and the local AWS-API server (moto over HTTP) that stands
in for SQS, DynamoDB, S3, ECR and Budgets whenever no AWS account is used.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import requests

from kindops.errors import ConfigError, DependencyError

#: Credentials the local AWS-API server accepts (it accepts any); never real ones.
LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until it is true; :class:`DependencyError` (exit 3) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise DependencyError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def http_ok(url: str) -> bool:
    """Whether ``url`` answers 200 now."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def stop_group(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM ``proc``'s process group, then SIGKILL what is left after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass


def moto_server_exe() -> str:
    """``moto_server`` beside this interpreter (the project's venv), else on PATH."""
    exe = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which(
        "moto_server"
    )
    if not exe:
        raise ConfigError("moto_server not found (the dev environment installs moto[server])")
    return exe


class MotoServer:
    """The local AWS-API server on loopback, in its own process group; a context manager."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        """The standard AWS variables that point boto3 (and the AWS CLI) at this server."""
        return {"AWS_ENDPOINT_URL": self.url, **LOCAL_AWS_ENV}

    def start(self, timeout: float = 60.0) -> MotoServer:
        self.proc = subprocess.Popen(
            [moto_server_exe(), "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        proc = self.proc

        def up() -> bool:
            if proc.poll() is not None:
                raise DependencyError(f"the local AWS-API server exited with {proc.returncode}")
            return http_ok(f"{self.url}/moto-api/")

        try:
            wait_until(up, timeout, "the local AWS-API server")
        except BaseException:
            self.stop()
            raise
        return self

    def reset(self) -> None:
        """Forget every resource (moto's own reset endpoint)."""
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()

    def stop(self, grace: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_group(proc, grace)

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
