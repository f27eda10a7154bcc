"""The artifact store: reports, baselines, backups and evidence.

A local folder by default (``KINDOPS_ARTIFACTS``, default ``./artifacts``); any fsspec URL such as
``s3://bucket/prefix`` when set (install ``kindops[s3]``). Keys are ``/``-separated relative paths.
Writes are atomic: a reader sees the old object or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from kindops.errors import ConfigError, DependencyError, KindopsError


def _check_key(key: str) -> str:
    norm = posixpath.normpath(key.strip("/"))
    if not key or norm.startswith("..") or norm == "." or posixpath.isabs(key):
        raise ConfigError(f"invalid artifact key {key!r}: must be a relative path inside the store")
    return norm


class ArtifactStore:
    def __init__(self, root: str) -> None:
        try:
            fs, path = fsspec.core.url_to_fs(root)
        except (ImportError, ValueError) as exc:
            raise ConfigError(f"KINDOPS_ARTIFACTS={root!r} is not usable: {exc}") from None
        self.fs: fsspec.AbstractFileSystem = fs
        self.root = path.rstrip("/") or "/"
        self.local = isinstance(fs, LocalFileSystem)
        self._display = root.rstrip("/")

    @contextmanager
    def _io(self, action: str, key: str) -> Iterator[None]:
        """Store failures as exit-3 errors: OSError anywhere, and any client error of a remote
        store (an unreachable S3 endpoint raises botocore's own exceptions)."""
        try:
            yield
        except (KindopsError, FileNotFoundError):
            raise
        except Exception as exc:
            if not isinstance(exc, OSError) and self.local:
                raise
            raise DependencyError(
                f"artifact store {self._display}: cannot {action} {key}: {exc}"
            ) from exc

    def path(self, key: str) -> str:
        return f"{self.root}/{_check_key(key)}"

    def url(self, key: str) -> str:
        """Where a person finds the object (a local absolute path or the fsspec URL)."""
        if self.local:
            return str(Path(self.path(key)).resolve())
        return f"{self._display}/{_check_key(key)}"

    # -- writing -----------------------------------------------------------------------------
    def write_bytes(self, key: str, data: bytes) -> str:
        target = self.path(key)
        with self._io("write", key):
            if self.local:
                directory = os.path.dirname(target)
                os.makedirs(directory, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(data)
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.replace(tmp, target)
                except BaseException:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
                    raise
            else:
                # Object stores replace an object in one PUT: already atomic.
                self.fs.pipe_file(target, data)
        return self.url(key)

    def write_text(self, key: str, text: str) -> str:
        return self.write_bytes(key, text.encode())

    def write_json(self, key: str, doc: Any) -> str:
        return self.write_text(key, json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n")

    def append_line(self, key: str, line: str) -> str:
        """Append one line (JSONL audit logs). Local files are appended and fsynced in place."""
        if "\n" in line:
            raise ValueError("append_line takes a single line")
        target = self.path(key)
        if self.local:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            return self.url(key)
        existing = self.read_bytes(key) if self.exists(key) else b""
        return self.write_bytes(key, existing + line.encode() + b"\n")

    @contextmanager
    def staging(self, key: str) -> Iterator[Path]:
        """A local scratch folder published as ``key`` only if the block finishes.

        A failure while building leaves any previous objects at ``key`` untouched. The publish
        copies file by file; the job's result document, written after it, marks it complete.
        """
        with tempfile.TemporaryDirectory(prefix="kindops-stage-") as tmp:
            yield Path(tmp)
            for file in sorted(Path(tmp).rglob("*")):
                if file.is_file():
                    self.write_bytes(f"{key}/{file.relative_to(tmp).as_posix()}", file.read_bytes())

    # -- reading -----------------------------------------------------------------------------
    def exists(self, key: str) -> bool:
        with self._io("read", key):
            return bool(self.fs.exists(self.path(key)))

    def read_bytes(self, key: str) -> bytes:
        try:
            with self._io("read", key):
                data: bytes = self.fs.cat_file(self.path(key))
        except FileNotFoundError:
            raise ConfigError(f"artifact {key!r} not found in {self._display}") from None
        return data

    def read_text(self, key: str) -> str:
        return self.read_bytes(key).decode()

    def read_json(self, key: str) -> Any:
        try:
            return json.loads(self.read_bytes(key))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"artifact {key!r} is not valid JSON: {exc}") from None

    def list(self, prefix: str = "") -> list[str]:
        """Keys of every object under ``prefix`` (recursively), sorted."""
        base = self.path(prefix) if prefix else self.root
        with self._io("list", prefix or "/"):
            if not self.fs.exists(base):
                return []
            found = self.fs.find(base)
        root = self.root.rstrip("/") + "/"
        keys = []
        for item in found:
            rel = str(item)[len(root) :] if str(item).startswith(root) else str(item)
            if not posixpath.basename(rel).startswith(".tmp-"):
                keys.append(rel)
        return sorted(keys)

    def delete(self, key: str) -> None:
        target = self.path(key)
        with self._io("delete", key):
            if self.fs.exists(target):
                self.fs.rm(target, recursive=True)
