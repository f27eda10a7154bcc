"""Dashboard builders -> the committed Grafana JSON, checked before it is written.

``render`` turns a builder into the JSON Grafana provisions (stable key order, panel ids and
query refIds assigned in layout order) after checking what Grafana would only show as a broken
panel: an unknown datasource UID, a panel without a query, a duplicate refId. ``plan`` renders
the whole catalog in memory; ``write`` publishes each changed file atomically and removes
dashboards that left the catalog.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from kindops.dashboards.common import ALERTMANAGER_UID, LOKI_UID, PROMETHEUS_UID, TAG, TEMPO_UID
from kindops.errors import ConfigError
from kindops.generated import Generation

DEFAULT_OUT = Path("observability/grafana/dashboards")
DATASOURCE_UIDS = frozenset({PROMETHEUS_UID, LOKI_UID, TEMPO_UID, ALERTMANAGER_UID})


def panels(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel of a dashboard document, rows' nested panels included, in layout order."""
    for panel in doc.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def to_document(builder: Dashboard) -> dict[str, Any]:
    """The dashboard as plain JSON data, ids and refIds assigned, checked."""
    doc: dict[str, Any] = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    uid = doc.get("uid", "")
    if not uid or TAG not in doc.get("tags", []):
        raise ConfigError(f"dashboard {doc.get('title')!r}: needs a uid and the {TAG!r} tag")
    for number, panel in enumerate(panels(doc), start=1):
        panel["id"] = number
        where = f"dashboard {uid}, panel {panel.get('title')!r}"
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets", [])
        if not targets:
            raise ConfigError(f"{where}: no query")
        if len(targets) > len(string.ascii_uppercase):
            raise ConfigError(f"{where}: more than 26 queries")
        for letter, target in zip(string.ascii_uppercase, targets, strict=False):
            target["refId"] = letter
        for ref in [panel.get("datasource"), *(t.get("datasource") for t in targets)]:
            if ref is not None and ref.get("uid") not in DATASOURCE_UIDS:
                raise ConfigError(f"{where}: unknown datasource uid {ref.get('uid')!r}")
    return doc


def render(builder: Dashboard) -> str:
    return json.dumps(to_document(builder), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def plan(out_dir: str | Path, catalog: Mapping[str, Callable[[], Dashboard]]) -> Generation:
    """Render every dashboard of ``catalog`` in memory; nothing is written."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"dashboards output {str(out)!r} is not a folder")
    files: dict[Path, str] = {}
    for uid, build in catalog.items():
        text = render(build())
        if json.loads(text)["uid"] != uid:
            raise ConfigError(f"catalog key {uid!r} differs from the dashboard's uid")
        files[out / f"{uid}.json"] = text
    stale = sorted(p for p in out.glob("*.json") if p not in files) if out.is_dir() else []
    return Generation(files, stale, "dashboards", "its code", "not in the dashboard catalog")
