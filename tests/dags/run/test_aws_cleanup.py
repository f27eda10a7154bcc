"""`airflow dags test aws_cleanup` for real, on the local runner, against a real AWS-API server.

First run: params do not allow apply, so the run plans and reports and deletes nothing. Second
run, same logical date, with the params AND the Variable allowing it: exactly the expired,
in-scope resources are deleted, each with an audit record; the protected and the untagged
look-alike stay.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.support.airflow import dags_test
from tests.support.servers import BIN, MotoServer

pytestmark = pytest.mark.integration

SCOPE = {"project": "kindops-lab", "env": "dev", "owner": "sre"}
EXPIRED = {**SCOPE, "expires-at": "2026-01-01T00:00:00Z"}
LOGICAL_DATE = "2026-11-25"
RUN_KEY = "aws_cleanup_20261125T000000"


@pytest.fixture(scope="module")
def aws() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


def seed(env: dict[str, str]) -> None:
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    url = env["AWS_ENDPOINT_URL"]
    sqs = session.client("sqs", endpoint_url=url)
    sqs.create_queue(QueueName="kindops-expired-q", tags=EXPIRED)
    sqs.create_queue(QueueName="kindops-kept-q", tags={**EXPIRED, "keep": "true"})
    sqs.create_queue(QueueName="kindops-lookalike-q")
    sqs.create_queue(QueueName="kindops-fresh-q", tags={**SCOPE, "ttl": "30d"})
    ddb = session.client("dynamodb", endpoint_url=url)
    ddb.create_table(
        TableName="kindops-expired-table",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        Tags=[{"Key": k, "Value": v} for k, v in EXPIRED.items()],
    )
    logs = session.client("logs", endpoint_url=url)
    logs.create_log_group(logGroupName="/kindops/expired", tags=EXPIRED)


def queues(env: dict[str, str]) -> set[str]:
    sqs = boto3.client(
        "sqs",
        region_name="us-east-1",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return {u.rsplit("/", 1)[-1] for u in sqs.list_queues().get("QueueUrls", [])}


def test_plan_only_then_apply(aws: MotoServer, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    env = {**aws.env(), "KINDOPS_ARTIFACTS": str(artifacts), "MPLCONFIGDIR": str(tmp_path)}
    seed(env)
    budgets = subprocess.run(
        [str(BIN / "kindops"), "aws", "ensure-budgets"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert budgets.returncode == 0, budgets.stderr

    dry = dags_test("aws_cleanup", LOGICAL_DATE, env)
    assert dry.states == {
        "inventory": "success",
        "plan": "success",
        "apply_allowed": "success",
        "apply": "skipped",
        "report": "success",
        "budget": "success",
    }, dry.tail()
    folder = artifacts / "aws-cleanup" / RUN_KEY
    plan = json.loads((folder / "plan.json").read_text())
    actions = {
        (i["resource"]["service"], i["resource"]["name"]): i["action"] for i in plan["items"]
    }
    assert actions[("sqs", "kindops-expired-q")] == "delete"
    assert actions[("sqs", "kindops-kept-q")] == "keep"
    assert actions[("sqs", "kindops-lookalike-q")] == "report-only"
    assert actions[("sqs", "kindops-fresh-q")] == "keep"
    assert actions[("dynamodb", "kindops-expired-table")] == "delete"
    assert "kindops-expired-q" in queues(env), "a dry run deleted something"
    assert not (artifacts / "aws-cleanup" / "audit.jsonl").exists()

    applied = dags_test(
        "aws_cleanup",
        LOGICAL_DATE,
        {**env, "AIRFLOW_VAR_KINDOPS_AWS_CLEANUP_APPLY": "true"},
        conf={"apply": True},
    )
    assert applied.states["apply"] == "success", applied.tail()
    assert applied.ok, applied.tail()
    assert queues(env) == {"kindops-kept-q", "kindops-lookalike-q", "kindops-fresh-q"}
    audit = [
        json.loads(line)
        for line in (artifacts / "aws-cleanup" / "audit.jsonl").read_text().splitlines()
    ]
    deleted = {(a["service"], a["name"]) for a in audit if a["event"] == "deleted"}
    assert ("sqs", "kindops-expired-q") in deleted
    assert ("dynamodb", "kindops-expired-table") in deleted
    assert ("sqs", "kindops-kept-q") not in deleted


def test_params_alone_do_not_apply(aws: MotoServer, tmp_path: Path) -> None:
    aws.reset()
    env = {**aws.env(), "KINDOPS_ARTIFACTS": str(tmp_path / "a"), "MPLCONFIGDIR": str(tmp_path)}
    seed(env)
    run = dags_test("aws_cleanup", "2026-11-24", env, conf={"apply": True})
    assert run.states["apply"] == "skipped", run.tail()
    assert "kindops-expired-q" in queues(env)
