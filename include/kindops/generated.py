"""Committed files generated from code or specs (rules, dashboards): plan, check, write.

A :class:`Generation` is rendered in memory first; ``differences()`` is the ``--check`` verdict
(what is missing, changed or stale) and ``write()`` writes each changed file atomically with
ordinary permissions and removes stale ones. :func:`run` is the ``generate [--check]`` command
every generator shares: plan, then check or write, and report in one line per file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.console import Console

from kindops.errors import DependencyError, ExitCode, KindopsError


class _LiteralDumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str)


def dump_yaml(doc: Any) -> str:
    """YAML for a committed file: keys in their order, multi-line strings as ``|`` blocks."""
    return yaml.dump(doc, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True, width=1000)


def starts_with(path: Path, header: str) -> bool:
    """Whether ``path``'s first line is ``header``: a generated file that generation may remove."""
    try:
        with path.open(encoding="utf-8") as fh:
            return fh.readline().rstrip("\n") == header
    except (OSError, UnicodeDecodeError):
        return False


def relative_source(source: Path, out_dir: Path) -> str:
    """Where ``source`` is seen from a generated file in ``out_dir`` (its ``# source:`` line)."""
    return Path(os.path.relpath(source.resolve(), out_dir.resolve())).as_posix()


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


def run(
    plan: Callable[[], Generation], *, check: bool, files: str, match: str, command: str
) -> None:
    """The body of a ``generate`` command: plan, then ``--check`` or write, and report.

    ``--check`` prints each difference as ``error: ...`` on stderr and exits 1 when there is
    one (``<n> <files> <match>`` when there is none); otherwise the changed files are written,
    one line each, then ``<n> <files> up to date (<k> changed)``. A planning or writing error
    is one ``error:`` line and its exit code (2 bad input, 3 cannot write). ``files`` names the
    files (``rule files``), ``match`` how they agree with their source (``match their specs``)
    and ``command`` the generator to run (``kindops slo generate``).
    """
    console = Console(soft_wrap=True, highlight=False)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        generation = plan()
        if check:
            diffs = generation.differences()
            for line in diffs:
                err.print(f"error: {line}", markup=False)
            if diffs:
                err.print(f"run `uv run {command}` and commit the result", markup=False)
                raise typer.Exit(int(ExitCode.BAD_VERDICT))
            console.print(f"{len(generation.files)} {files} {match}", markup=False)
            return
        changes = generation.write()
    except KindopsError as exc:
        err.print(f"error: {exc.message}", markup=False)
        raise typer.Exit(int(exc.exit_code)) from None
    for line in changes:
        console.print(line, markup=False)
    console.print(
        f"{len(generation.files)} {files} up to date ({len(changes)} changed)", markup=False
    )
