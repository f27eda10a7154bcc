"""Benchmark: the nightly cost review over 90 days x 500 allocations, and a tenth of it.

The review runs end to end as the DAG task does, minus the Pushgateway and Alertmanager: the
allocation API is the local demo OpenCost on loopback (answers cached after a warm-up, so the
server's own rendering is not measured), then parsing, the robust statistics of every group of
four dimensions, and the Markdown, CSV and PNG reports. A second figure times the analysis
alone on already-parsed allocations. Prints the best-of-N times of both sizes and their ratio
(about 10 means the review scales linearly with allocations). Figures only; nothing asserted.

    uv run python tests/bench/bench_cost_review.py
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta

from kindops.cost import analysis, jobs
from kindops.cost.demo import DemoOpenCost, Scenario
from kindops.cost.opencost import OpenCostClient
from kindops.result import make_context

DAY = date(2026, 11, 1)
DAYS = 90
DIMENSIONS = list(jobs.DEFAULT_DIMENSIONS)
REPEAT = 3


def best(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(allocations: int) -> tuple[float, float, int]:
    """Best end-to-end and analysis-only times for ``allocations`` workloads a day, and the
    number of allocation records the four dimensions return over the 90 days."""
    scenario = Scenario.synthetic(allocations, namespaces=max(allocations // 10, 1))
    scenario.spikes = {("ns-000", DAY): 5.0}
    with DemoOpenCost(scenario) as server, tempfile.TemporaryDirectory() as tmp:
        server.cache_enabled = True
        os.environ.update(
            KINDOPS_OPENCOST_URL=server.url,
            KINDOPS_ARTIFACTS=tmp,
            KINDOPS_RUN_ID="bench/cost",
            KINDOPS_PUSHGATEWAY_URL="",
            KINDOPS_ALERTMANAGER_URL="",
            MPLCONFIGDIR=os.path.join(tmp, "mpl"),
        )
        rules = analysis.Rules()
        ctx = make_context()

        def review() -> None:
            jobs.review(ctx, DAY.isoformat(), DAYS - 1, DIMENSIONS, rules, alert=False)

        review()  # warm-up: fills the server's cache, imports matplotlib
        end_to_end = best(review)
        client = OpenCostClient(server.url, timeout=120, attempts=1, backoff=0)
        series = client.fetch(DIMENSIONS, DAY - timedelta(days=DAYS - 1), DAY)
        analysis_only = best(lambda: analysis.review(series, DAY, DAYS - 1, rules))
        records = sum(len(d.allocations) for s in series for d in s.days.values())
    return end_to_end, analysis_only, records


def main() -> None:
    logging.disable(logging.WARNING)
    small, large = 50, 500
    small_e2e, small_analysis, small_records = measure(small)
    large_e2e, large_analysis, large_records = measure(large)
    print(f"cost review, {DAYS} days x {len(DIMENSIONS)} dimensions, best of {REPEAT}")
    print(f"{'allocations/day':>16} {'records':>9} {'end to end':>11} {'analysis only':>14}")
    print(f"{small:>16} {small_records:>9,} {small_e2e:>10.3f}s {small_analysis:>13.3f}s")
    print(f"{large:>16} {large_records:>9,} {large_e2e:>10.3f}s {large_analysis:>13.3f}s")
    print(
        f"{'ratio':>16} {large_records / small_records:>8.1f}x {large_e2e / small_e2e:>10.1f}x "
        f"{large_analysis / small_analysis:>13.1f}x"
    )


if __name__ == "__main__":
    main()
