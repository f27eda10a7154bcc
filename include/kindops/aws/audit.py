"""The cleanup audit log: JSON Lines in the artifact store (``aws-cleanup/audit.jsonl``).

One line per event, appended, never rewritten:

- ``recovery-record``  written *before* a delete: the resource as re-checked, the reason, and
  the service-specific record restore needs (DynamoDB backup ARN, queue attributes, ...);
- ``deleted`` / ``delete-failed`` / ``recovery-failed``  the outcome, same ``entry`` id;
- ``restored``  written by ``kindops aws restore``.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from kindops.artifacts import ArtifactStore
from kindops.errors import ConfigError

AUDIT_KEY = "aws-cleanup/audit.jsonl"


class AuditLog:
    def __init__(self, store: ArtifactStore, key: str = AUDIT_KEY) -> None:
        self.store = store
        self.key = key
        self._seq = 0

    def new_entry_id(self, run_key: str) -> str:
        self._seq += 1
        return f"{run_key}-{self._seq:03d}-{secrets.token_hex(3)}"

    def append(self, event: str, entry: str, **fields: Any) -> dict[str, Any]:
        doc = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event,
            "entry": entry,
            **fields,
        }
        line = json.dumps(doc, default=str, sort_keys=True, separators=(",", ":"))
        self.store.append_line(self.key, line)
        return doc

    def url(self) -> str:
        return self.store.url(self.key)

    def entries(self) -> list[dict[str, Any]]:
        if not self.store.exists(self.key):
            return []
        docs = []
        for number, line in enumerate(self.store.read_text(self.key).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                raise ConfigError(f"{self.key} line {number} is not valid JSON") from None
            if isinstance(doc, dict):
                docs.append(doc)
        return docs

    def find(self, entry: str) -> list[dict[str, Any]]:
        return [doc for doc in self.entries() if doc.get("entry") == entry]
