from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from kindops import logs

PACKAGE = Path(__file__).resolve().parents[2] / "kindops"
RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def test_log_lines_are_json_with_extras(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("INFO")
    logging.getLogger("kindops.test").info("planned", extra={"resources": 3, "job": "aws"})
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["msg"] == "planned" and line["resources"] == 3 and line["level"] == "info"


def test_no_log_call_uses_a_reserved_record_attribute() -> None:
    """`extra={"name": ...}` raises KeyError at INFO in a task pod; catch it before it ships."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text()
        for match in re.finditer(r"extra=\{([^}]*)\}", source, re.S):
            keys = set(re.findall(r"\"(\w+)\"\s*:", match.group(1))) & RESERVED
            if keys:
                line = source[: match.start()].count("\n") + 1
                offenders.append(f"{path.relative_to(PACKAGE)}:{line} {sorted(keys)}")
    assert offenders == []
