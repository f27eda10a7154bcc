"""A real Prometheus for tests, holding synthetic history; and the backfill that fills it.

``/usr/bin/prometheus`` runs on a free loopback port over a TSDB folder prepared beforehand:

* :func:`backfill` writes :class:`Series` (equally spaced values ending at ``end``) as TSDB blocks
  with ``promtool tsdb create-blocks-from openmetrics``, so range queries over past hours or
  days work at once;
* :func:`backfill_rules` adds what recording rules would have recorded over that history
  (``promtool tsdb create-blocks-from rules``, one pass per nesting level, since a rule that
  reads another rule's output needs that output backfilled first);
* :class:`Prometheus` serves the folder (optionally also loading rule files, evaluated from
  start-up on) and answers ``query``, ``query_range``, ``rules`` and ``api`` through the HTTP API.

Typical use::

    from tests.support.prometheus import Prometheus, Series, backfill

    end, step = 1_700_000_000.0, 60.0
    backfill(tmp_path / "tsdb", [Series("up", {"job": "app"}, [1.0] * 180)], end, step)
    with Prometheus(tmp_path / "tsdb") as prom:
        prom.query("sum(up)", at=end)          # -> [({}, 1.0)]
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import requests
import yaml

from kindops.localproc import stop_group
from tests.support.servers import free_port, wait_http

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"

Vector = list[tuple[dict[str, str], float]]
Matrix = list[tuple[dict[str, str], list[tuple[float, float]]]]


@dataclass
class Series:
    """One series: metric name, labels, and values at equally spaced times (the last at
    ``end`` when backfilled). ``nan`` leaves a gap: no sample at that time."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    values: Sequence[float] = ()

    def selector(self) -> str:
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(self.labels.items()))
        return f"{self.name}{{{inner}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _seconds(at: float | datetime) -> float:
    return at.timestamp() if isinstance(at, datetime) else float(at)


def openmetrics(series: Iterable[Series], end: float | datetime, step: float) -> str:
    """OpenMetrics text of ``series`` (no metadata: every family is of unknown type)."""
    last = _seconds(end)
    lines = []
    for item in sorted(series, key=lambda s: (s.name, s.selector())):
        sel = item.selector()
        n = len(item.values)
        for i, value in enumerate(item.values):
            if math.isnan(value):
                continue
            lines.append(f"{sel} {_number(value)} {last - (n - 1 - i) * step:.3f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _promtool(args: Sequence[str], what: str) -> None:
    proc = subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=600, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed: {(proc.stderr or proc.stdout).strip()[-3000:]}")


def backfill(storage: Path, series: Iterable[Series], end: float | datetime, step: float) -> None:
    """Write ``series`` into the TSDB folder ``storage`` (created if needed) as blocks."""
    storage.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="backfill-") as tmp:
        source = Path(tmp) / "series.om"
        source.write_text(openmetrics(series, end, step))
        _promtool(
            [
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "--quiet",
                "--max-block-duration=2400h",
                str(source),
                str(storage),
            ],
            "promtool backfill of series",
        )


def _recording_levels(rule_files: Sequence[Path]) -> list[list[dict[str, Any]]]:
    """The recording rules' groups split by nesting level (level 0 reads raw series only)."""
    groups = []
    for path in rule_files:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for group in doc.get("groups", []):
            records = [r for r in group.get("rules", []) if "record" in r]
            if records:
                groups.append({**group, "rules": records})
    names = {r["record"] for g in groups for r in g["rules"]}
    refs = {
        name: re.compile(rf"(?<![A-Za-z0-9_:]){re.escape(name)}(?![A-Za-z0-9_:])") for name in names
    }
    level: dict[str, int] = {}

    def name_level(name: str, seen: frozenset[str]) -> int:
        if name in level:
            return level[name]
        if name in seen:
            raise ValueError(f"recording rules form a cycle through {name}")
        exprs = [r["expr"] for g in groups for r in g["rules"] if r["record"] == name]
        deps = {d for d in names - {name} for e in exprs if refs[d].search(str(e))}
        level[name] = 1 + max((name_level(d, seen | {name}) for d in deps), default=-1)
        return level[name]

    depth = max((name_level(n, frozenset()) for n in names), default=-1) + 1
    levels: list[list[dict[str, Any]]] = [[] for _ in range(depth)]
    for group in groups:
        for lvl in range(depth):
            rules = [r for r in group["rules"] if level[r["record"]] == lvl]
            if rules:
                levels[lvl].append({**group, "rules": rules})
    return levels


def backfill_rules(
    storage: Path,
    rule_files: Sequence[Path],
    start: float | datetime,
    end: float | datetime,
    eval_interval: str = "60s",
) -> None:
    """Add to ``storage`` what the recording rules of ``rule_files`` record over [start, end]."""
    for groups in _recording_levels(rule_files):
        with tempfile.TemporaryDirectory(prefix="backfill-rules-") as tmp:
            rules = Path(tmp) / "rules.yaml"
            rules.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
            out = Path(tmp) / "blocks"
            with Prometheus(storage) as server:
                _promtool(
                    [
                        "tsdb",
                        "create-blocks-from",
                        "rules",
                        "--quiet",
                        f"--url={server.url}",
                        f"--start={int(_seconds(start))}",
                        f"--end={int(_seconds(end))}",
                        f"--eval-interval={eval_interval}",
                        f"--output-dir={out}",
                        str(rules),
                    ],
                    "promtool backfill of recording rules",
                )
            for block in out.iterdir() if out.exists() else ():
                if block.is_dir():
                    shutil.move(str(block), storage / block.name)


class Prometheus:
    """``/usr/bin/prometheus`` serving ``storage`` on 127.0.0.1, as a context manager.

    ``rule_files`` are loaded and evaluated from start-up (a broken file fails start-up with the
    log in the error); ``features`` are ``--enable-feature`` names. Retention is long so
    backfilled history is never dropped as too old.
    """

    def __init__(
        self,
        storage: Path,
        *,
        rule_files: Sequence[Path] = (),
        features: Sequence[str] = (),
        evaluation_interval: str = "15s",
        retention: str = "36500d",
    ) -> None:
        self.storage = Path(storage)
        self.rule_files = [Path(f).resolve() for f in rule_files]
        self.features = list(features)
        self.evaluation_interval = evaluation_interval
        self.retention = retention
        self.port = 0
        self.url = ""
        self.log: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._workdir: str | None = None

    def start(self) -> Prometheus:
        self.storage.mkdir(parents=True, exist_ok=True)
        self._workdir = tempfile.mkdtemp(prefix="prometheus-")
        work = Path(self._workdir)
        config = work / "prometheus.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "global": {
                        "scrape_interval": "15s",
                        "evaluation_interval": self.evaluation_interval,
                    },
                    "rule_files": [str(f) for f in self.rule_files],
                }
            )
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work / "prometheus.log"
        args = [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={self.storage}",
            f"--storage.tsdb.retention.time={self.retention}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]
        if self.features:
            args.append(f"--enable-feature={','.join(self.features)}")
        with open(self.log, "wb") as out:
            self._proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_http(f"{self.url}/-/ready", 60, self._proc)
        except (RuntimeError, TimeoutError) as exc:
            tail = self.log.read_text(errors="replace")[-3000:]
            self.stop()
            raise RuntimeError(f"Prometheus did not start: {exc}\n{tail}") from exc
        return self

    def stop(self) -> None:
        if self._proc is not None:
            stop_group(self._proc)
            self._proc = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> Prometheus:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- HTTP API ------------------------------------------------------------------------------
    def api(self, path: str, **params: str) -> Any:
        """GET ``/api/v1/<path>``: its ``data``, or an AssertionError with Prometheus' error."""
        response = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=60)
        body = response.json()
        if body.get("status") != "success":
            raise AssertionError(f"Prometheus {path} {params}: {body.get('error', body)}")
        return body["data"]

    def query(self, expr: str, at: float | datetime | None = None) -> Vector:
        """Instant query: (labels, value) per series; a scalar is one item without labels."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{_seconds(at):.3f}"
        data = self.api("query", **params)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def query_range(
        self, expr: str, start: float | datetime, end: float | datetime, step: str = "1h"
    ) -> Matrix:
        data = self.api(
            "query_range",
            query=expr,
            start=f"{_seconds(start):.3f}",
            end=f"{_seconds(end):.3f}",
            step=step,
        )
        return [
            (r["metric"], [(float(t), float(v)) for t, v in r["values"]]) for r in data["result"]
        ]

    def rules(self) -> list[dict[str, Any]]:
        """The loaded rule groups, each rule with its ``health`` and ``lastError``."""
        groups: list[dict[str, Any]] = self.api("rules")["groups"]
        return groups
