"""`kindops backup verify`: every kind of corruption is caught and named; markers are recorded."""

from __future__ import annotations

import json

import pytest
import yaml

from kindops.backup.archive import sha256

from .backup_support import ARCHIVE, Lab, build_tar, members

DEPLOYMENT = "kubernetes/app/apps/Deployment/app-python.yaml"


@pytest.fixture()
def backed_up(lab: Lab) -> Lab:
    result = lab.run("backup", "run", KINDOPS_GRAFANA_URL="")
    assert result.exit_code == 0, result.output
    return lab


def marker(lab: Lab, key: str = ARCHIVE) -> dict[str, object]:
    doc: dict[str, object] = json.loads((lab.store / (key + ".verified.json")).read_text())
    return doc


def rewrite(lab: Lab, files: dict[str, bytes]) -> None:
    (lab.store / ARCHIVE).write_bytes(build_tar(files))


def test_a_good_archive_verifies_and_records_a_marker(backed_up: Lab) -> None:
    lab = backed_up
    result, doc = lab.run_json("backup", "verify", ARCHIVE)
    assert result.exit_code == 0, result.output
    assert doc["verdict"] == "ok"
    m = marker(lab)
    assert m["ok"] is True and m["problems"] == []
    assert m["sha256"] == sha256(lab.archive())
    for ref in (["--latest"], ["--run"], ["2026-01-15T020000Z.tar.gz"], [str(lab.store / ARCHIVE)]):
        assert lab.run("backup", "verify", *ref).exit_code == 0, ref


def test_a_flipped_byte_in_the_archive_is_unreadable(backed_up: Lab) -> None:
    lab = backed_up
    data = bytearray(lab.archive())
    data[len(data) // 2] ^= 0xFF
    (lab.store / ARCHIVE).write_bytes(bytes(data))
    result = lab.run("backup", "verify", "--latest")
    assert result.exit_code == 1
    assert f"{ARCHIVE}: CORRUPT: unreadable archive" in result.stdout
    assert marker(lab)["ok"] is False


def test_a_changed_file_fails_its_checksum_naming_the_file(backed_up: Lab) -> None:
    lab = backed_up
    files = members(lab.archive())
    files[DEPLOYMENT] = files[DEPLOYMENT].replace(b"replicas: 2", b"replicas: 9")
    rewrite(lab, files)
    result, doc = lab.run_json("backup", "verify", ARCHIVE)
    assert result.exit_code == 1
    assert doc["data"]["problems"] == [f"{DEPLOYMENT}: bad checksum"]
    human = lab.run("backup", "verify", ARCHIVE)
    assert f"CORRUPT: {DEPLOYMENT}: bad checksum" in human.stdout


def test_a_missing_file(backed_up: Lab) -> None:
    lab = backed_up
    files = members(lab.archive())
    del files[DEPLOYMENT]
    rewrite(lab, files)
    result, doc = lab.run_json("backup", "verify", ARCHIVE)
    assert result.exit_code == 1
    assert doc["data"]["problems"] == [f"{DEPLOYMENT}: missing"]


def test_an_extra_file(backed_up: Lab) -> None:
    lab = backed_up
    files = members(lab.archive())
    files["kubernetes/app/core/ConfigMap/smuggled.yaml"] = b"kind: ConfigMap\n"
    rewrite(lab, files)
    result, doc = lab.run_json("backup", "verify", ARCHIVE)
    assert result.exit_code == 1
    assert doc["data"]["problems"] == [
        "kubernetes/app/core/ConfigMap/smuggled.yaml: extra file (not in the manifest)"
    ]


def test_a_truncated_archive(backed_up: Lab) -> None:
    lab = backed_up
    data = lab.archive()
    (lab.store / ARCHIVE).write_bytes(data[: len(data) * 2 // 3])
    result, doc = lab.run_json("backup", "verify", ARCHIVE)
    assert result.exit_code == 1
    assert len(doc["data"]["problems"]) == 1
    assert doc["data"]["problems"][0].startswith("unreadable archive")


def test_a_missing_or_broken_manifest(backed_up: Lab) -> None:
    lab = backed_up
    files = members(lab.archive())
    good = dict(files)
    del files["manifest.json"]
    rewrite(lab, files)
    result, doc = lab.run_json("backup", "verify", ARCHIVE)
    assert result.exit_code == 1 and doc["data"]["problems"] == ["manifest.json: missing"]
    files = dict(good, **{"manifest.json": b"{not json"})
    rewrite(lab, files)
    result, doc = lab.run_json("backup", "verify", ARCHIVE)
    assert result.exit_code == 1
    assert doc["data"]["problems"][0].startswith("manifest.json: unreadable")


def test_a_secret_listed_in_the_manifest_is_refused(backed_up: Lab) -> None:
    lab = backed_up
    files = members(lab.archive())
    manifest = json.loads(files["manifest.json"])
    secret = yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "app"},
            "data": {"password": "aHVudGVy"},
        }
    ).encode()
    path = "kubernetes/app/core/Secret/db.yaml"
    files[path] = secret
    manifest["files"].append(
        {
            "path": path,
            "sha256": sha256(secret),
            "size": len(secret),
            "source": "kubernetes",
            "kind": "Secret",
            "name": "db",
        }
    )
    manifest["counts"]["files"] += 1
    files["manifest.json"] = json.dumps(manifest).encode()
    rewrite(lab, files)
    result, doc = lab.run_json("backup", "verify", ARCHIVE)
    assert result.exit_code == 1
    assert doc["data"]["problems"] == [f"{path}: a Secret must never be in a backup"]


def test_unsafe_member_paths_are_refused(backed_up: Lab) -> None:
    lab = backed_up
    files = members(lab.archive())
    files["../escape.yaml"] = b"x"
    rewrite(lab, files)
    result, doc = lab.run_json("backup", "verify", ARCHIVE)
    assert result.exit_code == 1
    assert "../escape.yaml: unsafe path" in doc["data"]["problems"]


def test_naming_no_archive_or_a_missing_one_is_bad_input(lab: Lab) -> None:
    result = lab.run("backup", "verify")
    assert result.exit_code == 2 and "name exactly one archive" in result.stderr
    result = lab.run("backup", "verify", "--latest")
    assert result.exit_code == 2 and "no backups in" in result.stderr
    result = lab.run("backup", "verify", "2020-01-01T000000Z.tar.gz")
    assert result.exit_code == 2 and "not found" in result.stderr
    result = lab.run("backup", "verify", "--run", KINDOPS_RUN_ID="")
    assert result.exit_code == 2 and "KINDOPS_RUN_ID" in result.stderr
