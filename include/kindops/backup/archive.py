"""Backup archives: one dated ``.tar.gz`` with a manifest, and how it is verified.

An archive holds ``manifest.json`` (first member) and one file per object. The manifest lists
every file with its SHA-256 and size, the counts, the source cluster, the tool and schema
versions. Archives are reproducible (fixed mtimes, owners and order), so the same state gives the
same bytes. :func:`verify` re-reads an archive and names every file that is missing, extra,
altered or unreadable.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import re
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from kindops import __version__

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
MARKER_SUFFIX = ".verified.json"
NAME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})(\d{2})Z\.tar\.gz$")
RUN_TIME_RE = re.compile(r"(\d{8}T\d{6})")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Member:
    """One file of an archive and its manifest entry (without the checksum)."""

    path: str
    data: bytes
    entry: dict[str, Any]


def archive_name(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ") + ".tar.gz"


def run_time(run_id: str, now: datetime) -> datetime:
    """The run's logical time (``<dag>/<YYYYMMDDTHHMMSS>`` run ids), else ``now``."""
    match = RUN_TIME_RE.search(run_id or "")
    if match:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return now.astimezone(UTC).replace(microsecond=0)


def archive_time(name: str) -> datetime | None:
    match = NAME_RE.match(posixpath.basename(name))
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) for g in match.groups())
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except ValueError:
        return None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_manifest(
    members: list[Member],
    *,
    name: str,
    logical_time: datetime,
    created_at: datetime,
    source: dict[str, Any],
    config: dict[str, Any],
    skipped: list[dict[str, str]],
    ignored: dict[str, int],
) -> dict[str, Any]:
    files = []
    by_kind: Counter[str] = Counter()
    by_namespace: Counter[str] = Counter()
    by_grafana: Counter[str] = Counter()
    for m in members:
        files.append({"path": m.path, "sha256": sha256(m.data), "size": len(m.data), **m.entry})
        if m.entry.get("source") == "kubernetes":
            group = m.entry.get("group") or "core"
            by_kind[f"{group}/{m.entry['kind']}"] += 1
            by_namespace[m.entry.get("namespace") or "_cluster"] += 1
        else:
            by_grafana[str(m.entry.get("type"))] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "kindops", "version": __version__},
        "name": name,
        "logical_time": logical_time.isoformat(),
        "created_at": created_at.isoformat(),
        "source": source,
        "config": config,
        "counts": {
            "files": len(files),
            "kubernetes": sum(by_kind.values()),
            "grafana": sum(by_grafana.values()),
            "by_kind": dict(sorted(by_kind.items())),
            "by_namespace": dict(sorted(by_namespace.items())),
            "grafana_by_type": dict(sorted(by_grafana.items())),
            "ignored": dict(sorted(ignored.items())),
        },
        "skipped": skipped,
        "files": sorted(files, key=lambda f: f["path"]),
    }


def _tarinfo(path: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.size = size
    info.mtime = mtime
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_archive(members: list[Member], manifest: dict[str, Any], mtime: int) -> bytes:
    """The archive's bytes: manifest first, then the files in path order (reproducible)."""
    raw = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        body = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        tar.addfile(_tarinfo(MANIFEST, len(body), mtime), io.BytesIO(body))
        for m in sorted(members, key=lambda m: m.path):
            tar.addfile(_tarinfo(m.path, len(m.data), mtime), io.BytesIO(m.data))
    return raw.getvalue()


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _unsafe(path: str) -> bool:
    norm = posixpath.normpath(path)
    return path.startswith("/") or norm.startswith("..") or norm != path


def read_files(data: bytes) -> tuple[dict[str, bytes], list[str]]:
    """Every member of an archive, or the problems that make it unreadable."""
    try:
        tar_bytes = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        return {}, [f"unreadable archive: {exc or type(exc).__name__}"]
    files: dict[str, bytes] = {}
    problems: list[str] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
            for info in tar:
                if not info.isfile():
                    problems.append(f"{info.name}: not a regular file")
                    continue
                if _unsafe(info.name):
                    problems.append(f"{info.name}: unsafe path")
                    continue
                if info.name in files:
                    problems.append(f"{info.name}: duplicate member")
                    continue
                handle = tar.extractfile(info)
                files[info.name] = handle.read() if handle else b""
    except (tarfile.TarError, EOFError, OSError) as exc:
        return {}, [f"unreadable archive: {exc}"]
    return files, problems


def _check_object(path: str, data: bytes, entry: dict[str, Any]) -> str | None:
    try:
        doc = yaml.load(data, Loader=_Loader)
    except yaml.YAMLError:
        return f"{path}: not valid YAML"
    if not isinstance(doc, dict):
        return f"{path}: not an object"
    if doc.get("kind") == "Secret" and doc.get("apiVersion") == "v1":
        return f"{path}: a Secret must never be in a backup"
    meta = doc.get("metadata") or {}
    if (doc.get("kind"), meta.get("name")) != (entry.get("kind"), entry.get("name")):
        return f"{path}: object does not match its manifest entry"
    return None


def verify(data: bytes) -> Verification:
    """Check an archive against its manifest; every problem names the file."""
    result = Verification()
    files, problems = read_files(data)
    result.problems += problems
    if not files and problems:
        return result
    result.files = files
    raw = files.pop(MANIFEST, None)
    if raw is None:
        result.problems.append(f"{MANIFEST}: missing")
        return result
    try:
        manifest = json.loads(raw)
        entries = manifest["files"]
        if not isinstance(entries, list):
            raise TypeError("files is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        result.problems.append(f"{MANIFEST}: unreadable ({exc})")
        return result
    result.manifest = manifest
    if manifest.get("schema_version") != SCHEMA_VERSION:
        result.problems.append(
            f"{MANIFEST}: schema_version {manifest.get('schema_version')!r} is not {SCHEMA_VERSION}"
        )
        return result
    listed: set[str] = set()
    for entry in entries:
        path = str(entry.get("path", ""))
        listed.add(path)
        content = files.get(path)
        if content is None:
            result.problems.append(f"{path}: missing")
            continue
        if len(content) != entry.get("size") or sha256(content) != entry.get("sha256"):
            result.problems.append(f"{path}: bad checksum")
            continue
        if entry.get("source") == "kubernetes":
            problem = _check_object(path, content, entry)
            if problem:
                result.problems.append(problem)
    for extra in sorted(set(files) - listed):
        result.problems.append(f"{extra}: extra file (not in the manifest)")
    counts = manifest.get("counts") or {}
    if counts.get("files") != len(entries):
        result.problems.append(
            f"{MANIFEST}: counts.files={counts.get('files')} but {len(entries)} files listed"
        )
    return result
