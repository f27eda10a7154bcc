"""Local faults without the apps: the CPU burner is bounded and an abort really kills it; the
local supervisor restarts what a pod-delete kills; the pidfile is never trusted blindly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from kindops.errors import ConfigError
from kindops.gameday import local
from kindops.gameday.catalog import DEFAULT_DIRS, Scenario, parse
from kindops.gameday.experiment import Deps, Experiment
from kindops.gameday.journal import Journal, StopRequest
from kindops.gameday.lab import Supervised
from kindops.gameday.probes import ProbeRunner
from tests.support.http import recorder

# One game day at a time (xdist_group): each runs the apps under load and reads its SLO burn.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("gameday")]


def wait_for(check: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def ended_before_schedule(doc: dict[str, Any], seconds: float) -> bool:
    """The fault window closed before ``seconds`` after it opened (its scheduled end)."""
    fault = doc["windows"]["fault"]
    start, end = (datetime.fromisoformat(fault[k]) for k in ("start", "end"))
    return end < start + timedelta(seconds=seconds)


def test_the_burner_stops_itself_at_its_deadline() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kindops.gameday.burner", "--seconds", "0.3"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "kindops.gameday.burner", "--seconds", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 2 and "--seconds" in bad.stderr


def cpu_drill(cores: int, consecutive: int) -> Scenario:
    """The CPU-hog scenario as a 60 s drill probing a recorder: /ready and the /guard safeguard."""
    doc = yaml.safe_load((DEFAULT_DIRS[0] / "app-java-cpu-hog.yaml").read_text())
    doc["fault"].update(duration="60s", cores=cores)
    doc["steady_state"] = {
        "title": "answers",
        "interval": "200ms",
        "probes": [{"name": "ready", "type": "http", "app": "app-java", "path": "/ready"}],
    }
    doc["safeguards"] = {
        "interval": "200ms",
        "consecutive": consecutive,
        "probes": [{"name": "guard", "type": "http", "app": "app-java", "path": "/guard"}],
    }
    doc["recovery"] = {"timeout": "1s"}
    doc["load"].update(warmup="1s", duration="2m")
    return parse("cpu-drill.yaml", yaml.safe_dump(doc))


def test_a_safeguard_abort_kills_every_burner() -> None:
    scenario = cpu_drill(cores=2, consecutive=1)
    burn = local.BurnInjection(2, 65)
    seen: dict[str, list[int]] = {}
    with recorder() as app:

        def trip_once_burning() -> None:
            assert wait_for(lambda: len(burn.procs) == 2)
            seen["alive"] = [p for p in burn.pids if local.alive(p)]
            app.statuses["/guard"] = 503

        thread = threading.Thread(target=trip_once_burning)
        thread.start()
        deps = Deps(
            probes=ProbeRunner({"app-python": app.url, "app-java": app.url}, "http://127.0.0.1:9"),
            injection=lambda: burn,
            load=None,
            rollbacks=[("restart", lambda: {"restarted": False})],
        )
        journal = Journal(scenario.model_dump(mode="json"), "local", "test")
        status = Experiment(scenario, deps, journal).run()
        journal.finish(status)
        thread.join()
    assert seen["alive"] == burn.pids, "both burners ran before the abort"
    assert journal.doc["status"] == "aborted"
    abort = next(a for a in journal.doc["run"] if a["activity"]["name"] == "abort")
    assert abort["status"] == "succeeded" and abort["output"]["stopped"] is True
    assert all(p.poll() is not None for p in burn.procs)
    assert not any(Path(f"/proc/{pid}").exists() for pid in burn.pids), "burners are gone"
    # killed by the abort, not ended by their own deadline (a burner at its deadline exits 0)
    assert [p.returncode for p in burn.procs] == [-signal.SIGKILL, -signal.SIGKILL]
    events = [e["event"] for e in journal.doc["timeline"]]
    assert events.index("fault aborted") < events.index("fault ended")
    assert ended_before_schedule(journal.doc, 60), "the abort closed the 60 s fault window"


def test_a_stop_request_whose_exception_was_lost_still_interrupts_the_run() -> None:
    """A handler's exception is dropped when it lands in a GC finaliser; the next wait re-raises."""
    scenario = cpu_drill(cores=1, consecutive=3)
    burn = local.BurnInjection(1, 65)
    stop = StopRequest()
    with recorder() as app:

        def signal_lost_once_burning() -> None:
            assert wait_for(lambda: len(burn.procs) == 1)
            stop.signal = "SIGTERM"  # what the handler records before its raise is lost

        thread = threading.Thread(target=signal_lost_once_burning)
        thread.start()
        deps = Deps(
            probes=ProbeRunner({"app-python": app.url, "app-java": app.url}, "http://127.0.0.1:9"),
            injection=lambda: burn,
            load=None,
            rollbacks=[("restart", lambda: {"restarted": False})],
            sleep=stop.sleep,
        )
        journal = Journal(scenario.model_dump(mode="json"), "local", "test")
        status = Experiment(scenario, deps, journal).run()
        journal.finish(status)
        thread.join()
    assert status == "interrupted" and "SIGTERM" in journal.doc["error"]
    revert = journal.doc["rollbacks"][0]
    assert revert["activity"]["name"] == "revert-fault" and revert["status"] == "succeeded"
    assert all(p.poll() is not None for p in burn.procs), "the burner is gone"
    # the interruption, not the burner's own deadline, ended it; recorded before the fault ended
    assert [p.returncode for p in burn.procs] == [-signal.SIGKILL]
    events = [e["event"] for e in journal.doc["timeline"]]
    assert events.index("interrupted") < events.index("fault reverted in clean-up")
    assert "fault ended" not in events, "the fault never ran to its end"
    assert ended_before_schedule(journal.doc, 60)


def test_the_supervisor_restarts_a_killed_process(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    sup = Supervised("sleeper", ["sleep", "300"], dict(os.environ), tmp_path / "s.log", pids)
    sup.start()
    try:
        first = local.read_pid(str(pids), "sleeper")
        kill = local.KillInjection(str(pids), "sleeper", interval=0.2, force=True)
        out = kill.start()
        assert out["pid"] == first and out["signal"] == "SIGKILL"
        assert wait_for(lambda: not local.alive(first))
        second = local.wait_new_pid(str(pids), "sleeper", first, 20)
        assert second and second != first and local.alive(second)
        assert sup.restarts == 1
        # the next kill waits for the interval and for the process to be back, then kills again
        assert wait_for(lambda: kill.tick() is not None)
        assert kill.kills[-1]["pid"] == second
        assert kill.stop("done")["kills"] == 2
        restarted = local.restart(str(pids), "sleeper", None, 20)
        assert restarted["old_pid"] != restarted["new_pid"]
        assert local.alive(restarted["new_pid"])
    finally:
        sup.stop()
    assert not (pids / "sleeper.pid").exists()


@pytest.mark.parametrize("content", ["", "abc", "1", "0", "-5"])
def test_a_bad_pidfile_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / "app-python-api.pid").write_text(content)
    with pytest.raises(ConfigError, match="not a pid"):
        local.read_pid(str(tmp_path), "app-python-api")


def test_the_runner_never_kills_itself(tmp_path: Path) -> None:
    for pid in (os.getpid(), os.getppid()):
        (tmp_path / "x.pid").write_text(str(pid))
        with pytest.raises(ConfigError, match="refusing to kill"):
            local.read_pid(str(tmp_path), "x")
    with pytest.raises(ConfigError, match="KINDOPS_GAMEDAY_PIDS"):
        local.read_pid("", "x")
    with pytest.raises(ConfigError, match="no pidfile"):
        local.read_pid(str(tmp_path), "missing")


def test_a_rollback_without_a_supervisor_fails_clearly(tmp_path: Path) -> None:
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        (tmp_path / "lonely.pid").write_text(str(proc.pid))
        from kindops.errors import DependencyError

        with pytest.raises(DependencyError, match="did not come back"):
            local.restart(str(tmp_path), "lonely", None, 1.0)
        assert proc.wait(5) == -signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
