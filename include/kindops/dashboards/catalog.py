"""Every dashboard the lab provisions, by UID (also the JSON file name).

To add one: write ``kindops/dashboards/<name>.py`` with ``UID`` and ``build()`` (see
``workflows.py`` for a small one), add it below, run ``uv run kindops dashboards generate`` and
commit the JSON. The PromQL test then evaluates every query of it against synthetic series.
"""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders.dashboard import Dashboard

from kindops.dashboards import finops, k6, red, slo, worker, workflows

CATALOG: dict[str, Callable[[], Dashboard]] = {
    finops.UID: finops.build,
    k6.UID: k6.build,
    red.UID: red.build,
    slo.UID: slo.build,
    worker.UID: worker.build,
    workflows.UID: workflows.build,
}
