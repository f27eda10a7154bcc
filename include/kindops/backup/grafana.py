"""Export Grafana's state over its HTTP API, as grafana-backup-tool does, without secrets.

Kept: folders (with their parents), dashboards (with their folder), datasources (without
``secureJsonData``, passwords or secret-looking ``jsonData`` values), alert rules, contact points
(secure settings redacted) and the notification policy tree. Every file records which keys were
redacted, so a restore knows what to re-enter.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import requests

from kindops.backup.archive import Member
from kindops.backup.neat import safe_segment
from kindops.errors import ConfigError, DependencyError

log = logging.getLogger(__name__)
REDACTED = "[REDACTED]"
DATASOURCE_SECRET_KEYS = ("secureJsonData", "basicAuthPassword", "password")
SECRET_KEY = re.compile(
    r"(?i)(password|passwd|secret|token|api_?key|integration_?key|routing_?key|user_?key|"
    r"access_?key|credentials|authorization|webhook_?url)"
)
#: Settings Grafana itself stores encrypted, per contact-point type (besides the pattern above).
SECURE_SETTINGS = {
    "slack": ("url", "token"),
    "discord": ("url",),
    "googlechat": ("url",),
    "teams": ("url",),
    "victorops": ("url",),
    "dingding": ("url",),
    "wecom": ("url", "secret"),
    "telegram": ("bottoken",),
    "line": ("token",),
    "threema": ("api_secret",),
}


def to_json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def redact(settings: dict[str, Any], extra: tuple[str, ...] = ()) -> list[str]:
    """Replace secret-looking string values in place; return the redacted keys."""
    hidden = []
    for key, value in list(settings.items()):
        if isinstance(value, dict):
            hidden += [f"{key}.{k}" for k in redact(value, extra)]
        elif (SECRET_KEY.search(key) or key in extra) and isinstance(value, str) and value:
            settings[key] = REDACTED
            hidden.append(key)
    return sorted(hidden)


class Grafana:
    def __init__(self, url: str, token: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            resp = self.session.get(self.url + path, params=params, timeout=self.timeout)
        except requests.Timeout:
            raise DependencyError(
                f"Grafana {self.url}: timed out after {self.timeout:g}s on {path}"
            ) from None
        except requests.RequestException as exc:
            raise DependencyError(f"Grafana {self.url}: unreachable ({exc})") from None
        if resp.status_code in (401, 403):
            raise ConfigError(
                f"Grafana {self.url}: {resp.status_code} on {path} "
                "(check KINDOPS_GRAFANA_TOKEN: a Viewer+ service-account token is needed)"
            )
        if resp.status_code >= 400:
            raise DependencyError(f"Grafana {self.url}: {path} answered {resp.status_code}")
        try:
            return resp.json()
        except ValueError:
            raise DependencyError(f"Grafana {self.url}: {path} did not answer JSON") from None

    def pages(self, path: str, page_size: int, params: dict[str, Any] | None = None) -> list[Any]:
        items: list[Any] = []
        page = 1
        while True:
            batch = self.get(path, {**(params or {}), "limit": page_size, "page": page})
            if not isinstance(batch, list):
                raise DependencyError(f"Grafana {self.url}: {path} did not answer a list")
            items += batch
            if len(batch) < page_size:
                return items
            page += 1


def _member(path: str, doc: Any, kind: str, uid: str, title: str, hidden: list[str]) -> Member:
    entry: dict[str, Any] = {"source": "grafana", "type": kind, "uid": uid, "title": title}
    if hidden:
        entry["redacted"] = hidden
    return Member(path, to_json(doc), entry)


def _folders(g: Grafana, page_size: int) -> list[dict[str, Any]]:
    """Every folder, nested ones included (``parentUid``), each once."""
    found: dict[str, dict[str, Any]] = {}
    queue: list[str | None] = [None]
    while queue:
        parent = queue.pop(0)
        params = {"parentUid": parent} if parent else {}
        for folder in g.pages("/api/folders", page_size, params):
            uid = str(folder.get("uid", ""))
            if uid and uid not in found:
                found[uid] = {
                    "uid": uid,
                    "title": folder.get("title", ""),
                    "parentUid": folder.get("parentUid") or parent or "",
                }
                queue.append(uid)
    return sorted(found.values(), key=lambda f: f["uid"])


def export(g: Grafana, page_size: int) -> list[Member]:
    members: list[Member] = []
    for folder in _folders(g, page_size):
        members.append(
            _member(
                f"grafana/folders/{safe_segment(folder['uid'])}.json",
                folder,
                "folder",
                folder["uid"],
                str(folder["title"]),
                [],
            )
        )

    for hit in g.pages("/api/search", page_size, {"type": "dash-db"}):
        uid = str(hit.get("uid", ""))
        if not uid:
            continue
        doc = g.get(f"/api/dashboards/uid/{uid}")
        dashboard = dict(doc.get("dashboard") or {})
        dashboard["id"] = None
        meta = doc.get("meta") or {}
        folder_uid = str(meta.get("folderUid") or "")
        saved = {
            "dashboard": dashboard,
            "folderUid": folder_uid,
            "meta": {
                k: meta[k] for k in ("folderTitle", "slug", "provisioned", "isFolder") if k in meta
            },
        }
        folder_dir = safe_segment(folder_uid or "general")
        members.append(
            _member(
                f"grafana/dashboards/{folder_dir}/{safe_segment(uid)}.json",
                saved,
                "dashboard",
                uid,
                str(dashboard.get("title", "")),
                [],
            )
        )

    for ds in g.get("/api/datasources") or []:
        ds = dict(ds)
        for key in DATASOURCE_SECRET_KEYS:
            ds.pop(key, None)
        ds.pop("id", None)
        hidden = [f"jsonData.{k}" for k in redact(ds.get("jsonData") or {})]
        uid = str(ds.get("uid") or ds.get("name"))
        members.append(
            _member(
                f"grafana/datasources/{safe_segment(uid)}.json",
                ds,
                "datasource",
                uid,
                str(ds.get("name", "")),
                hidden,
            )
        )

    for rule in g.get("/api/v1/provisioning/alert-rules") or []:
        rule = dict(rule)
        rule.pop("id", None)
        uid = str(rule.get("uid"))
        members.append(
            _member(
                f"grafana/alert-rules/{safe_segment(uid)}.json",
                rule,
                "alert-rule",
                uid,
                str(rule.get("title", "")),
                [],
            )
        )

    for point in g.get("/api/v1/provisioning/contact-points") or []:
        point = dict(point)
        settings = dict(point.get("settings") or {})
        secure = SECURE_SETTINGS.get(str(point.get("type", "")), ())
        hidden = [f"settings.{k}" for k in redact(settings, secure)]
        point["settings"] = settings
        uid = str(point.get("uid") or point.get("name"))
        members.append(
            _member(
                f"grafana/contact-points/{safe_segment(uid)}.json",
                point,
                "contact-point",
                uid,
                str(point.get("name", "")),
                hidden,
            )
        )

    policies = g.get("/api/v1/provisioning/policies")
    members.append(
        _member(
            "grafana/notification-policies.json",
            policies,
            "notification-policies",
            "",
            "notification policy tree",
            [],
        )
    )
    log.info("grafana exported", extra={"files": len(members)})
    return members
