"""The local runner's faults: the same scenarios as processes and fault flags on this machine.

=====================  =====================================================================
catalog fault          local injection
=====================  =====================================================================
pod-delete             SIGKILL (``force``) or SIGTERM the target process, read from the local
                       supervisor's pidfile; again every ``interval`` once it is back. The
                       supervisor (``kindops gameday lab``) restarts it, as the kubelet would.
pod-cpu-hog            ``cores`` bounded burner processes (:mod:`kindops.gameday.burner`).
pod-network-latency    app-python's ``worker_slow_ms`` flag: every message the worker takes
                       waits ``latency_ms`` first (a slow dependency as the worker sees it).
fault-flags            the app's flags through ``PUT /admin/faults`` (``X-Admin-Token``).
=====================  =====================================================================

Every injection has ``start`` (inject), ``tick`` (called while the fault lasts), ``stop``
(revert; idempotent, always called — normal end, abort, failure or interruption) and reports what
it did as plain dicts for the journal. ``stop`` verifies: flags are read back from the admin
endpoint, burners are reaped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

import requests

from kindops.errors import ConfigError, DependencyError, KindopsError
from kindops.gameday.catalog import (
    FlagsFault,
    PodCpuHog,
    PodDelete,
    PodNetworkLatency,
    Scenario,
)

log = logging.getLogger("kindops.gameday")

#: Neutral flag names -> each app's wire names. app-python's document is wrapped in "faults".
WIRE = {
    "app-python": {
        "error_rate": "error_rate",
        "latency_ms": "latency_ms",
        "worker_slow_ms": "worker_slow_ms",
    },
    "app-java": {"error_rate": "errorRate", "latency_ms": "latencyMs"},
}
#: Seconds a restarted process gets to end on SIGTERM before SIGKILL (the kubelet's default
#: termination grace period is 30 s; the lab's processes stop in well under a second).
KILL_GRACE = 5.0
#: Liveness paths used to confirm a restarted process serves again.
LIVENESS = {"app-python-api": "/healthz/live", "app-java-api": "/actuator/health/liveness"}


class Injection(Protocol):
    def start(self) -> dict[str, Any]: ...

    def tick(self) -> dict[str, Any] | None: ...

    def stop(self, reason: str) -> dict[str, Any]: ...

    @property
    def active(self) -> bool: ...


# -- fault flags -------------------------------------------------------------------------------
class FlagsClient:
    """``GET/PUT /admin/faults`` of one app, in neutral names (``error_rate``, ``latency_ms``)."""

    def __init__(self, app: str, base_url: str, token: str, timeout: float = 5.0) -> None:
        if app not in WIRE:
            raise ConfigError(f"{app} has no fault flags")
        self.app = app
        self.url = base_url.rstrip("/") + "/admin/faults"
        self.token = token
        self.timeout = timeout

    def _call(self, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = requests.request(
                method,
                self.url,
                json=body,
                headers={"X-Admin-Token": self.token},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise DependencyError(
                f"{self.app} admin API {self.url} is unreachable: {exc}"
            ) from None
        if response.status_code in (401, 403):
            raise ConfigError(f"{self.app} admin API refused the token ({response.status_code})")
        if response.status_code == 404:
            raise ConfigError(f"{self.app} admin API is off (404): start the app with ADMIN_TOKEN")
        if response.status_code != 200:
            raise DependencyError(
                f"{self.app} admin API {method} answered {response.status_code}: "
                f"{response.text[:200]}"
            )
        doc: dict[str, Any] = response.json()
        return doc

    def _wire_doc(self, doc: dict[str, Any]) -> dict[str, Any]:
        inner = doc.get("faults") if self.app == "app-python" else doc
        if not isinstance(inner, dict):
            raise DependencyError(f"{self.app} admin API answered an unexpected document: {doc}")
        return dict(inner)

    def get_wire(self) -> dict[str, Any]:
        """The app's own flag document (to restore it exactly)."""
        return self._wire_doc(self._call("GET"))

    def put_wire(self, wire: dict[str, Any]) -> dict[str, Any]:
        return self._wire_doc(self._call("PUT", wire))

    def neutral(self, wire: dict[str, Any]) -> dict[str, float]:
        return {name: float(wire.get(key) or 0) for name, key in WIRE[self.app].items()}

    def get(self) -> dict[str, float]:
        return self.neutral(self.get_wire())

    def merged(self, wire: dict[str, Any], flags: dict[str, float]) -> dict[str, Any]:
        out = dict(wire)
        for name, value in flags.items():
            if name not in WIRE[self.app]:
                raise ConfigError(f"{self.app} has no {name} flag")
            out[WIRE[self.app][name]] = value
        return out


def flags_of(fault: FlagsFault | PodNetworkLatency) -> dict[str, float]:
    """The flags to set, keeping their catalog types: milliseconds stay integers on the wire
    (app-java's ``latencyMs`` is a long and rejects ``400.0``)."""
    if isinstance(fault, PodNetworkLatency):
        return {"worker_slow_ms": fault.latency_ms}
    return {k: v for k, v in fault.flags.model_dump().items() if v is not None}


class FlagsInjection:
    """Turn flags on; ``stop`` restores the document read before and reads it back."""

    def __init__(self, client: FlagsClient, flags: dict[str, float]) -> None:
        self.client = client
        self.flags = flags
        self._before: dict[str, Any] | None = None
        self._on = False

    @property
    def active(self) -> bool:
        return self._on

    def start(self) -> dict[str, Any]:
        before = self.client.get_wire()
        on = {k: v for k, v in self.client.neutral(before).items() if v}
        if on:
            raise ConfigError(
                f"{self.client.app} fault flags are already on ({on}); clear them before a game "
                "day so its steady state is the real one"
            )
        self._before = before
        self._on = True  # from here on, stop() must restore (even if the PUT half-failed)
        applied = self.client.neutral(self.client.put_wire(self.client.merged(before, self.flags)))
        read_back = self.client.get()
        for name, value in self.flags.items():
            if abs(read_back.get(name, 0.0) - value) > 1e-9:
                raise DependencyError(
                    f"{self.client.app} reports {name}={read_back.get(name)} after setting {value}"
                )
        return {"app": self.client.app, "flags": self.flags, "applied": applied}

    def tick(self) -> dict[str, Any] | None:
        return None

    def stop(self, reason: str) -> dict[str, Any]:
        if not self._on or self._before is None:
            return {"app": self.client.app, "reverted": False, "reason": "not injected"}
        self.client.put_wire(self._before)
        read_back = self.client.get()
        off = not any(read_back.get(name) for name in self.flags)
        if not off:
            raise DependencyError(f"{self.client.app} flags still on after revert: {read_back}")
        self._on = False
        return {"app": self.client.app, "reverted": True, "reason": reason, "flags": read_back}


# -- processes ---------------------------------------------------------------------------------
def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def read_pid(pids_dir: str, process: str) -> int:
    """The supervised process's pid; refuses anything that is not a live child of the lab."""
    if not pids_dir:
        raise ConfigError(
            "KINDOPS_GAMEDAY_PIDS is not set: the local runner finds processes through the local "
            "supervisor's pidfiles (kindops gameday lab)"
        )
    path = Path(pids_dir) / f"{process}.pid"
    try:
        text = path.read_text().strip()
    except OSError:
        raise ConfigError(
            f"no pidfile {path}: is {process} running under the supervisor?"
        ) from None
    if not text.isdigit() or int(text) <= 1:
        raise ConfigError(f"pidfile {path} holds {text!r}, not a pid")
    pid = int(text)
    if pid in (os.getpid(), os.getppid()) or pid == os.getpgrp():
        raise ConfigError(f"pidfile {path} names this process ({pid}); refusing to kill it")
    return pid


def wait_new_pid(pids_dir: str, process: str, old: int, timeout: float) -> int | None:
    """The pid of the restarted process once it is alive, or None after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid = read_pid(pids_dir, process)
        except ConfigError:
            pid = 0
        if pid and pid != old and alive(pid):
            return pid
        time.sleep(0.1)
    return None


class KillInjection:
    """pod-delete: kill the target process, again every ``interval`` once it came back."""

    def __init__(self, pids_dir: str, process: str, interval: float, force: bool) -> None:
        self.pids_dir = pids_dir
        self.process = process
        self.interval = interval
        self.sig = signal.SIGKILL if force else signal.SIGTERM
        self.kills: list[dict[str, Any]] = []
        self._last = 0.0
        self._on = False

    @property
    def active(self) -> bool:
        return self._on

    def _kill(self) -> dict[str, Any]:
        pid = read_pid(self.pids_dir, self.process)
        if not alive(pid):
            raise DependencyError(f"{self.process} (pid {pid}) is not running")
        os.kill(pid, self.sig)
        self._last = time.monotonic()
        entry = {"pid": pid, "signal": self.sig.name, "at": time.time()}
        self.kills.append(entry)
        log.warning("killed %s", self.process, extra={"pid": pid, "signal": self.sig.name})
        return entry

    def start(self) -> dict[str, Any]:
        self._on = True
        return {"process": self.process, **self._kill()}

    def tick(self) -> dict[str, Any] | None:
        if not self._on or time.monotonic() - self._last < self.interval:
            return None
        try:
            pid = read_pid(self.pids_dir, self.process)
        except ConfigError:
            return None
        if pid == self.kills[-1]["pid"] or not alive(pid):
            return None  # not back yet: the next kill waits for the restart
        return {"process": self.process, **self._kill()}

    def stop(self, reason: str) -> dict[str, Any]:
        was = self._on
        self._on = False
        return {"process": self.process, "kills": len(self.kills), "stopped": was, "reason": reason}


class BurnInjection:
    """pod-cpu-hog: ``cores`` burner processes; ``stop`` kills and reaps every one."""

    def __init__(self, cores: int, seconds: float) -> None:
        self.cores = cores
        self.seconds = seconds
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def active(self) -> bool:
        return any(p.poll() is None for p in self.procs)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def start(self) -> dict[str, Any]:
        for _ in range(self.cores):
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "kindops.gameday.burner",
                        "--seconds",
                        f"{self.seconds}",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        return {"burners": self.pids, "cores": self.cores, "seconds": self.seconds}

    def tick(self) -> dict[str, Any] | None:
        return None

    def stop(self, reason: str) -> dict[str, Any]:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        left = [p.pid for p in self.procs if alive(p.pid)]
        if left:
            raise DependencyError(f"burner processes still alive after stop: {left}")
        return {"burners": self.pids, "stopped": True, "reason": reason}


def injection(
    scenario: Scenario, pids_dir: str, app_urls: dict[str, str], tokens: dict[str, str]
) -> Injection:
    """The local injection of ``scenario`` (a ConfigError when it has no local equivalent)."""
    fault = scenario.fault
    target = scenario.target
    if isinstance(fault, PodDelete):
        return KillInjection(pids_dir, target.process, fault.interval, fault.force)
    if isinstance(fault, PodCpuHog):
        return BurnInjection(min(fault.cores, os.cpu_count() or 1), fault.duration + 5)
    if isinstance(fault, PodNetworkLatency):
        if target.process != "app-python-worker":
            raise ConfigError(
                f"{scenario.name}: locally, network latency is the worker's slow-processing flag; "
                "only the app-python worker has it"
            )
        client = FlagsClient("app-python", app_urls["app-python"], tokens["app-python"])
        return FlagsInjection(client, flags_of(fault))
    client = FlagsClient(target.app, app_urls[target.app], tokens[target.app])
    return FlagsInjection(client, flags_of(fault))


def _terminate(pid: int, grace: float) -> str:
    """SIGTERM, then SIGKILL if the process is still there after ``grace`` seconds (as the kubelet
    does after terminationGracePeriodSeconds): a hung or stopped process cannot refuse a restart.
    Returns the signal that ended it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not alive(pid):
        return "SIGTERM"
    log.warning("%s ignored SIGTERM; killing it", pid, extra={"grace": grace})
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return "SIGKILL"


def restart(
    pids_dir: str, process: str, base_url: str | None, timeout: float, grace: float = KILL_GRACE
) -> dict[str, Any]:
    """Local rollback: SIGTERM the process (SIGKILL after ``grace`` s if it does not end); the
    supervisor starts a new one; wait until it serves.

    Raises DependencyError when no new process serves within ``timeout``.
    """
    started = time.monotonic()
    try:
        old = read_pid(pids_dir, process)
    except KindopsError:
        old = 0
    ended_by = None
    if old and alive(old):
        ended_by = _terminate(old, min(grace, timeout / 2))
    new = wait_new_pid(pids_dir, process, old, max(0.0, timeout - (time.monotonic() - started)))
    if new is None:
        raise DependencyError(
            f"{process} did not come back within {timeout:.0f}s of the restart (is the local "
            "supervisor running?)"
        )
    path = LIVENESS.get(process)
    if base_url and path:
        deadline = started + timeout
        while True:
            try:
                if requests.get(base_url.rstrip("/") + path, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise DependencyError(f"{process} (pid {new}) did not serve {path} in time")
            time.sleep(0.2)
    return {
        "process": process,
        "old_pid": old,
        "new_pid": new,
        "ended_by": ended_by,
        "seconds": round(time.monotonic() - started, 2),
    }
