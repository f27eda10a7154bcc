"""The artifact store on S3 (``KINDOPS_ARTIFACTS=s3://…``), against the real AWS-API server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import s3fs

from kindops.artifacts import ArtifactStore
from kindops.errors import ConfigError, DependencyError
from tests.support.servers import free_port

pytestmark = pytest.mark.integration

BUCKET = "kindops-lab-artifacts"


@pytest.fixture(autouse=True)
def _fresh_s3_clients() -> Iterator[None]:
    # s3fs caches filesystems per URL options, not per endpoint: each test starts clean.
    s3fs.S3FileSystem.clear_instance_cache()
    yield
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture()
def s3_lab(lab: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in lab.env.items():
        monkeypatch.setenv(key, value)
    lab.client("s3").create_bucket(Bucket=BUCKET)
    return lab


def objects(lab: Any, prefix: str) -> dict[str, bytes]:
    s3 = lab.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def test_every_store_operation_works_on_s3(s3_lab: Any) -> None:
    store = ArtifactStore(f"s3://{BUCKET}/lab")
    assert store.write_json("slo-report/r1/report.json", {"ok": True}) == (
        f"s3://{BUCKET}/lab/slo-report/r1/report.json"
    )
    assert store.read_json("slo-report/r1/report.json") == {"ok": True}
    store.append_line("aws-cleanup/audit.jsonl", '{"n": 1}')
    store.append_line("aws-cleanup/audit.jsonl", '{"n": 2}')
    with store.staging("k6/r1") as folder:
        (folder / "report.md").write_text("# k6\n")
        (folder / "plots").mkdir()
        (folder / "plots/p95.png").write_bytes(b"\x89PNG")
    assert store.list("k6") == ["k6/r1/plots/p95.png", "k6/r1/report.md"]
    stored = objects(s3_lab, "lab/")
    assert stored["lab/aws-cleanup/audit.jsonl"] == b'{"n": 1}\n{"n": 2}\n'
    assert stored["lab/k6/r1/plots/p95.png"] == b"\x89PNG"
    store.delete("k6/r1")
    assert store.list("k6") == [] and not store.exists("k6/r1/report.md")
    with pytest.raises(ConfigError, match="not found"):
        store.read_text("k6/r1/report.md")


def test_a_job_writes_its_documents_to_s3(s3_lab: Any) -> None:
    result, doc = s3_lab.run_json(
        "aws",
        "cleanup",
        "--rules",
        s3_lab.rules(),
        KINDOPS_ARTIFACTS=f"s3://{BUCKET}/runs",
    )
    assert result.exit_code == 0, result.output
    assert doc["artifacts"]["result"] == f"s3://{BUCKET}/runs/aws-cleanup/test_run/result.json"
    assert all(url.startswith(f"s3://{BUCKET}/runs/") for url in doc["artifacts"].values())
    stored = objects(s3_lab, "runs/aws-cleanup/test_run/")
    assert json.loads(stored["runs/aws-cleanup/test_run/result.json"])["job"] == "aws.cleanup"
    assert {k.rsplit("/", 1)[-1] for k in stored} >= {"result.json", "plan.json", "plan.md"}


def test_an_unreachable_s3_endpoint_is_a_dependency_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    store = ArtifactStore(f"s3://{BUCKET}/lab")
    with pytest.raises(DependencyError, match=rf"s3://{BUCKET}/lab: cannot write r/x\.json"):
        store.write_json("r/x.json", {})
    with pytest.raises(DependencyError, match=r"cannot read r/x\.json"):
        store.read_json("r/x.json")
