"""Helpers for the backup tests: the lab (fake APIs + store + CLI) and archive utilities."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from kindops.cli import app

from .backup_fakeapi import FakeCluster, FakeGrafana, Servers

RUN_ID = "config_backup/20260115T020000"
ARCHIVE = "backups/2026-01-15T020000Z.tar.gz"
#: Secret values the fakes serve; none may appear anywhere in an archive, plain or base64.
SECRETS = (
    "hunter2-plaintext",
    "argocd-admin-pw",
    "prom-basic-pw",
    "legacy-pw",
    "sigv4-secret-value",
    "xoxb-slack-token",
    "hooks.slack.invalid",
    "webhook-pw",
)


def leaked_secrets(blob: bytes) -> list[str]:
    """Secret values found in ``blob`` (an archive's bytes, decompressed members...)."""
    found = []
    for secret in SECRETS:
        for form in (secret.encode(), base64.b64encode(secret.encode()).rstrip(b"=")):
            if form in blob:
                found.append(secret)
    return found


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def build_tar(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


@dataclass
class Lab:
    servers: Servers
    tmp: Path
    env: dict[str, str]
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def cluster(self) -> FakeCluster:
        return self.servers.cluster

    @property
    def grafana(self) -> FakeGrafana:
        return self.servers.grafana

    @property
    def store(self) -> Path:
        return Path(self.env["KINDOPS_ARTIFACTS"])

    def run(self, *args: str, **env: str) -> Result:
        return self.runner.invoke(app, list(args), env={**self.env, **env})

    def run_json(self, *args: str, **env: str) -> tuple[Result, dict[str, Any]]:
        result = self.run(*args, "--json", **env)
        doc = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
        return result, doc

    def config(self, name: str = "backup.yaml", **sections: Any) -> str:
        import yaml

        doc: dict[str, Any] = {"version": 1, **sections}
        path = self.tmp / name
        path.write_text(yaml.safe_dump(doc))
        return str(path)

    def archive(self, key: str = ARCHIVE) -> bytes:
        return (self.store / key).read_bytes()

    def files(self, key: str = ARCHIVE) -> dict[str, bytes]:
        return members(self.archive(key))

    def requests(self, method: str = "GET", path_part: str = "") -> list[Any]:
        return [r for r in self.cluster.requests if r.method == method and path_part in r.path]
