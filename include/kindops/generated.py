"""Committed files generated from code or specs (rules, dashboards): plan, check, write.

A :class:`Generation` is rendered in memory first; ``differences()`` is the ``--check`` verdict
(what is missing, changed or stale) and ``write()`` writes each changed file atomically with
ordinary permissions and removes stale ones.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kindops.errors import DependencyError


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename (mode 0644, like any committed file)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class Generation:
    """What generation would write (``files``) and remove (``stale``)."""

    files: dict[Path, str]
    stale: list[Path]
    what: str
    """What the files are, for errors: ``rules``, ``dashboards``."""
    source: str
    """Where a file comes from, for ``differs from <source>``."""
    stale_reason: str
    """Why a stale file goes, for ``<path>: <stale_reason>``."""

    def differences(self) -> list[str]:
        diffs = []
        for path, text in sorted(self.files.items()):
            if not path.exists():
                diffs.append(f"{path}: missing")
            elif path.read_text(encoding="utf-8") != text:
                diffs.append(f"{path}: differs from {self.source}")
        diffs += [f"{path}: {self.stale_reason}" for path in self.stale]
        return diffs

    def write(self) -> list[str]:
        """Write the changed files (each atomically) and remove the stale ones."""
        changed = []
        try:
            for path, text in sorted(self.files.items()):
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() and path.read_text(encoding="utf-8") == text:
                    continue
                write_atomic(path, text)
                changed.append(f"{path}: written")
            for path in self.stale:
                path.unlink()
                changed.append(f"{path}: removed ({self.stale_reason})")
        except OSError as exc:
            raise DependencyError(f"cannot write {self.what}: {exc}") from exc
        return changed
