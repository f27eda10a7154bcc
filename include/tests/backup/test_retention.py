"""GFS retention: property tests of the decision and of `prune` on a real store, plus the CLI."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kindops.artifacts import ArtifactStore
from kindops.backup import jobs
from kindops.backup.archive import archive_name, sha256
from kindops.backup.config import Retention
from kindops.backup.retention import decide
from kindops.result import Context
from kindops.settings import KindopsSettings

from .backup_support import Lab

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
times_st = st.lists(
    st.integers(min_value=0, max_value=500 * 24).map(lambda h: EPOCH + timedelta(hours=h)),
    min_size=0,
    max_size=40,
    unique=True,
)
policy_st = st.builds(
    Retention,
    daily=st.integers(0, 10),
    weekly=st.integers(0, 6),
    monthly=st.integers(0, 6),
)


def reference(
    times: Iterable[datetime], verified: Iterable[datetime], policy: Retention
) -> set[datetime]:
    """The GFS keep set, computed the plain way: newest backup of the N newest buckets."""
    times, verified = set(times), set(verified)
    if not verified:
        return times
    keep = {max(verified)}
    for limit, key in (
        (policy.daily, lambda t: t.date()),
        (policy.weekly, lambda t: t.isocalendar()[:2]),
        (policy.monthly, lambda t: (t.year, t.month)),
    ):
        buckets: dict[object, list[datetime]] = {}
        for t in times:
            buckets.setdefault(key(t), []).append(t)
        newest = sorted(buckets.values(), key=max, reverse=True)[:limit]
        keep |= {max(b) for b in newest}
    return keep


@settings(deadline=None)
@given(times_st, st.data(), policy_st)
def test_decision_keeps_exactly_the_gfs_set(
    times: list[datetime], data: st.DataObject, policy: Retention
) -> None:
    verified = data.draw(st.lists(st.sampled_from(times), unique=True) if times else st.just([]))
    decision = decide(times, verified, policy)
    assert set(decision.keep) | set(decision.delete) == set(times)
    assert not set(decision.keep) & set(decision.delete)
    assert set(decision.keep) == reference(times, verified, policy)
    if verified:
        assert max(verified) in decision.keep
        assert "newest verified" in decision.keep[max(verified)]
    else:
        assert decision.delete == {}


def _context(root: Path) -> Context:
    store = ArtifactStore(str(root))
    return Context(KindopsSettings(artifacts=str(root)), store, "prune-test", datetime.now(UTC))


@settings(max_examples=30, deadline=None)
@given(times_st, st.data(), policy_st, st.booleans())
def test_prune_on_a_store(
    times: list[datetime], data: st.DataObject, policy: Retention, apply: bool
) -> None:
    verified = data.draw(st.lists(st.sampled_from(times), unique=True) if times else st.just([]))
    stale = data.draw(st.lists(st.sampled_from(times), unique=True) if times else st.just([]))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        backups = root / "backups"
        backups.mkdir()
        for t in times:
            body = f"archive {t.isoformat()}".encode()
            (backups / archive_name(t)).write_bytes(body)
            if t in verified or t in stale:
                # A stale marker describes other bytes: it must not count as verified.
                digest = sha256(body) if t in verified else sha256(b"replaced since")
                marker = {"ok": True, "sha256": digest}
                (backups / (archive_name(t) + ".verified.json")).write_text(json.dumps(marker))
        (backups / "notes.txt").write_text("not a backup")
        before = sorted(p.name for p in backups.iterdir())
        result = jobs.prune(_context(root), None, apply, policy.model_dump())
        after = {p.name for p in backups.iterdir()}
        if not apply:
            assert sorted(after) == before  # a dry run deletes nothing
        else:
            kept = {t for t in times if archive_name(t) in after}
            assert kept == reference(times, verified, policy)
            assert "notes.txt" in after  # unknown files are never touched
            if verified:
                assert archive_name(max(verified)) in after
        would = {d["archive"] for d in result.data["delete"]}
        assert would == {
            f"backups/{archive_name(t)}" for t in set(times) - reference(times, verified, policy)
        }


def test_prune_cli_dry_run_shows_what_and_why_then_applies(lab: Lab) -> None:
    assert lab.run("backup", "run", KINDOPS_GRAFANA_URL="").exit_code == 0
    data = lab.archive()
    for day in range(1, 11):  # ten days of backups (prune does not read their content)
        (lab.store / f"backups/2026-01-{day:02d}T020000Z.tar.gz").write_bytes(data)
    (lab.store / "backups/2026-01-15T020000Z.tar.gz").unlink()
    # Only an old backup is verified: it is kept although outside the daily window.
    assert lab.run("backup", "verify", "backups/2026-01-02T020000Z.tar.gz").exit_code == 0
    dry = lab.run("backup", "prune", "--daily", "3", "--weekly", "0", "--monthly", "0")
    assert dry.exit_code == 0, dry.output
    assert "DRY RUN: 10 backups, keep 4, would delete 6" in dry.stdout
    assert "would delete: backups/2026-01-01T020000Z.tar.gz (outside retention (3 daily" in (
        dry.stdout
    )
    assert "keep: backups/2026-01-02T020000Z.tar.gz (newest verified)" in dry.stdout
    assert "keep: backups/2026-01-10T020000Z.tar.gz (daily #1 (2026-01-10))" in dry.stdout
    assert len(list((lab.store / "backups").glob("*.tar.gz"))) == 10
    result, doc = lab.run_json(
        "backup", "prune", "--apply", "--daily", "3", "--weekly", "0", "--monthly", "0"
    )
    assert result.exit_code == 0
    assert doc["data"]["dry_run"] is False
    left = sorted(p.name for p in (lab.store / "backups").iterdir())
    assert left == [
        "2026-01-02T020000Z.tar.gz",
        "2026-01-02T020000Z.tar.gz.verified.json",
        "2026-01-08T020000Z.tar.gz",
        "2026-01-09T020000Z.tar.gz",
        "2026-01-10T020000Z.tar.gz",
    ]
    listed = lab.run("backup", "list")
    assert "4 backups" in listed.stdout
    assert "backups/2026-01-02T020000Z.tar.gz  verified" in listed.stdout


def test_prune_without_any_verified_backup_deletes_nothing(lab: Lab) -> None:
    assert lab.run("backup", "run", KINDOPS_GRAFANA_URL="").exit_code == 0
    for day in (1, 2):
        (lab.store / f"backups/2026-01-0{day}T020000Z.tar.gz").write_bytes(lab.archive())
    result = lab.run(
        "backup", "prune", "--apply", "--daily", "1", "--weekly", "0", "--monthly", "0"
    )
    assert result.exit_code == 0
    assert "no verified backup: nothing is pruned" in result.stdout
    assert len(list((lab.store / "backups").glob("*.tar.gz"))) == 3


def test_prune_rejects_a_negative_override(lab: Lab) -> None:
    result = lab.run("backup", "prune", "--daily", "-1")
    assert result.exit_code == 2
