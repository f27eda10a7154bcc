"""Lifecycle tag parsers: what is accepted, what is refused (and so never deleted)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindops.aws.tags import TagValueError, human_delta, parse_bool, parse_expires_at, parse_ttl


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-31T18:00:00Z", datetime(2025, 1, 31, 18, tzinfo=UTC)),
        ("2025-01-31t18:00:00z", datetime(2025, 1, 31, 18, tzinfo=UTC)),
        ("2025-01-31T20:00:00+02:00", datetime(2025, 1, 31, 18, tzinfo=UTC)),
        ("2025-01-31 18:00:00.123456789Z", datetime(2025, 1, 31, 18, 0, 0, 123456, tzinfo=UTC)),
        # a bare date lives through that day (UTC)
        ("2025-01-31", datetime(2025, 2, 1, tzinfo=UTC)),
    ],
)
def test_expires_at_accepts_rfc3339_and_dates(text: str, expected: datetime) -> None:
    assert parse_expires_at(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "next friday",
        "2025-01-31T18:00:00",
        "2025-13-01",
        "2025-02-30T00:00:00Z",
        "1738346400",
        "2025-01-31T25:00:00Z",
        "",
        "31/01/2025",
        "2025-W05",
    ],
)
def test_expires_at_rejects_everything_else(text: str) -> None:
    with pytest.raises(TagValueError):
        parse_expires_at(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("72h", timedelta(hours=72)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("30m", timedelta(minutes=30)),
        ("7D", timedelta(days=7)),
    ],
)
def test_ttl_accepts_durations(text: str, expected: timedelta) -> None:
    assert parse_ttl(text) == expected


@pytest.mark.parametrize("text", ["3 days", "0h", "7", "d", "-1d", "1.5d", "9999999d", "1y", ""])
def test_ttl_rejects_everything_else(text: str) -> None:
    with pytest.raises(TagValueError):
        parse_ttl(text)


@given(st.integers(min_value=1, max_value=3650), st.sampled_from(["d", "h"]))
def test_ttl_round_trips(number: int, unit: str) -> None:
    expected = timedelta(days=number) if unit == "d" else timedelta(hours=number)
    assert parse_ttl(f"{number}{unit}") == expected


@given(st.text(max_size=12))
def test_ttl_never_raises_anything_but_tag_errors(text: str) -> None:
    with contextlib.suppress(TagValueError):
        assert parse_ttl(text) > timedelta(0)


def test_keep_is_strictly_true_or_false() -> None:
    assert parse_bool("TRUE") is True
    assert parse_bool("false") is False
    for text in ("yes", "1", "ture", ""):
        with pytest.raises(TagValueError):
            parse_bool(text)


def test_human_delta() -> None:
    assert human_delta(timedelta(days=3, hours=4, minutes=5)) == "3d 4h"
    assert human_delta(timedelta(hours=5)) == "5h"
    assert human_delta(timedelta(seconds=42)) == "42s"
