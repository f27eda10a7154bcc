from __future__ import annotations

import os
from pathlib import Path

import pytest

from kindops.artifacts import ArtifactStore
from kindops.errors import ConfigError, DependencyError


def test_write_read_list_roundtrip(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "art"))
    url = store.write_json("job/run1/result.json", {"b": 1, "a": [1, 2]})
    assert Path(url).exists()
    assert store.read_json("job/run1/result.json") == {"a": [1, 2], "b": 1}
    store.write_text("job/run2/report.md", "# hi\n")
    assert store.list("job") == ["job/run1/result.json", "job/run2/report.md"]
    assert store.list("nothing-here") == []


def test_write_is_atomic_and_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ArtifactStore(str(tmp_path))
    store.write_text("a/b.txt", "old")

    def crash(_fd: int) -> None:
        raise OSError("disk vanished mid-write")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(DependencyError, match=r"cannot write a/b\.txt"):
        store.write_text("a/b.txt", "new")
    monkeypatch.undo()
    assert store.read_text("a/b.txt") == "old"
    assert sorted(os.listdir(tmp_path / "a")) == ["b.txt"]


def test_staging_publishes_only_complete_folders(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    with store.staging("backup/1") as folder:
        (folder / "x.yaml").write_text("x")
        (folder / "sub").mkdir()
        (folder / "sub" / "y.yaml").write_text("y")
    assert store.list("backup") == ["backup/1/sub/y.yaml", "backup/1/x.yaml"]
    with pytest.raises(RuntimeError), store.staging("backup/2") as folder:
        (folder / "x.yaml").write_text("x")
        raise RuntimeError("crash")
    assert not store.exists("backup/2")


def test_append_line_builds_jsonl(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    store.append_line("audit.jsonl", '{"n": 1}')
    store.append_line("audit.jsonl", '{"n": 2}')
    assert store.read_text("audit.jsonl").splitlines() == ['{"n": 1}', '{"n": 2}']
    with pytest.raises(ValueError):
        store.append_line("audit.jsonl", "two\nlines")


@pytest.mark.parametrize("key", ["../escape", "/abs/path", "", "."])
def test_keys_cannot_escape_the_store(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError, match="invalid artifact key"):
        ArtifactStore(str(tmp_path)).write_text(key, "x")


def test_missing_and_bad_json_are_clear_errors(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    with pytest.raises(ConfigError, match="not found"):
        store.read_text("nope.txt")
    store.write_text("bad.json", "{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        store.read_json("bad.json")


def test_fsspec_urls_are_accepted(tmp_path: Path) -> None:
    store = ArtifactStore("memory://kindops-test")
    store.write_json("r/result.json", {"ok": True})
    assert store.read_json("r/result.json") == {"ok": True}
    assert store.url("r/result.json") == "memory://kindops-test/r/result.json"
    with pytest.raises(ConfigError, match="KINDOPS_ARTIFACTS"):
        ArtifactStore("nosuchproto://x")
