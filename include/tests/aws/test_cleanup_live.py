"""Cleanup against a real AWS-API server process (moto over HTTP).

Plan, apply, recovery records, restore, refusals, live re-checks, and the DAG steps as processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import free_port

pytestmark = pytest.mark.integration

LAB = {"project": "kindops-lab", "env": "dev"}
DEMO_EXPECTED = {
    ("ecr", "kindops-lab/api"): ("keep", "no-expiry"),
    ("ecr", "kindops-lab/experiment"): ("delete", "expired"),
    ("ecr", "kindops-sandbox"): ("report-only", "untagged-lookalike"),
    ("sqs", "kindops-lab-jobs"): ("keep", "keep-tag"),
    ("sqs", "kindops-lab-scratch"): ("delete", "expired"),
    ("sqs", "kindops-lab-events"): ("keep", "not-expired"),
    ("sqs", "kindops-lab-retry"): ("invalid-tag", "invalid-tag"),
    ("sqs", "payments-orders"): ("ignore", "out-of-scope"),
    ("dynamodb", "kindops-lab-orders"): ("protected", "deletion-protection"),
    ("dynamodb", "kindops-lab-sessions"): ("delete", "expired"),
    ("dynamodb", "kindops-lab-cache"): ("invalid-tag", "invalid-tag"),
    ("dynamodb", "kindops-lab-ledger"): ("keep", "env-excluded"),
    ("lambda", "kindops-lab-resizer"): ("delete", "expired"),
    ("lambda", "kindops-lab-cron"): ("keep", "not-expired"),
    ("s3", "kindops-lab-artifacts-demo"): ("keep", "no-expiry"),
    ("s3", "kindops-lab-scratch-demo"): ("delete", "expired"),
    ("s3", "kindops-lab-evidence-demo"): ("protected", "deletion-protection"),
    ("logs", "/kindops-lab/app"): ("keep", "no-expiry"),
    ("logs", "/kindops-lab/load-test"): ("delete", "expired"),
    ("logs", "/aws/lambda/kindops-lab-resizer"): ("report-only", "untagged-lookalike"),
    ("logs", "/kindops-lab/chaos"): ("report-only", "untagged-lookalike"),
}


def _plan_table(
    plan: dict[str, Any],
) -> tuple[dict[tuple[str, str], tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    resources: dict[tuple[str, str], tuple[str, str]] = {}
    images: dict[str, list[tuple[str, str]]] = {}
    for item in plan["items"]:
        r = item["resource"]
        if r["kind"] == "image":
            images.setdefault(r["attributes"]["repository"], []).append(
                (item["action"], item["rule"])
            )
        else:
            resources[(r["service"], r["name"])] = (item["action"], item["rule"])
    return resources, {k: sorted(v) for k, v in images.items()}


def test_demo_inventory_gives_the_exact_plan_and_deletes_nothing(lab: Any) -> None:
    seeded, doc = lab.run_json("aws", "seed-demo")
    assert seeded.exit_code == 0, seeded.stderr
    assert {s["status"] for s in doc["data"]["seeded"]} == {"created"}
    before = lab.everything()

    inv, inv_doc = lab.run_json("aws", "inventory")
    assert inv.exit_code == 0, inv.stderr
    assert inv_doc["data"]["by_service"] == {
        "dynamodb": 4,
        "ecr": 20,
        "lambda": 2,
        "logs": 4,
        "s3": 3,
        "sqs": 5,
    }
    result, doc = lab.run_json("aws", "cleanup", "--inventory", "run")
    assert result.exit_code == 0, result.stderr
    assert doc["job"] == "aws.cleanup" and doc["data"]["dry_run"] is True
    plan = json.loads((lab.run_dir() / "plan.json").read_text())
    resources, images = _plan_table(plan)
    assert resources == DEMO_EXPECTED
    assert images == {
        "kindops-lab/api": sorted(
            [("delete", "ecr-tagged-beyond-newest")] * 2
            + [("keep", "ecr-newest-tagged")] * 10
            + [("keep", "ecr-untagged-recent")] * 2
        ),
        "kindops-lab/experiment": [("delete", "with-repository")] * 3,
    }
    assert plan["totals"]["by_action"] == {
        "delete": 11,
        "protected": 2,
        "invalid-tag": 2,
        "report-only": 3,
        "keep": 19,
        "ignore": 1,
    }
    assert plan["account_allowed"] is True
    markdown = (lab.run_dir() / "plan.md").read_text()
    assert "| Service | Resource | Region | Size | Action | Reason | Saves/month |" in markdown
    assert "## To delete (11)" in markdown
    assert (
        "| sqs | `kindops-lab-retry` | us-east-1 | - | invalid-tag | expires-at: 'next friday'"
        in markdown
    )
    assert "Estimated savings if applied: **$0.05 per month**" in markdown
    assert lab.everything() == before  # a plan deletes nothing


def test_as_of_previews_what_expires_later(lab: Any) -> None:
    assert lab.run("aws", "seed-demo").exit_code == 0
    later = (datetime.now(UTC) + timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = lab.run("aws", "cleanup", "--as-of", later)
    assert result.exit_code == 0, result.stderr
    resources, images = _plan_table(json.loads((lab.run_dir() / "plan.json").read_text()))
    assert resources[("sqs", "kindops-lab-events")] == ("delete", "expired")  # ttl=72h
    assert resources[("lambda", "kindops-lab-cron")] == ("delete", "expired")  # ttl=7d
    assert images["kindops-lab/api"].count(("delete", "ecr-untagged-expired")) == 2
    assert resources[("sqs", "kindops-lab-jobs")] == ("keep", "keep-tag")


def _mixed_lab(lab: Any) -> None:
    old = {**LAB, "expires-at": lab.past()}
    lab.queue("kindops-lab-q-old", old)
    lab.queue("kindops-lab-q-keep", {**old, "keep": "true"})
    lab.queue("kindops-lab-q-bad", {**LAB, "expires-at": "yesterday"})
    lab.queue("kindops-lab-q-new", {**LAB, "ttl": "7d"})
    lab.queue("kindops-lab-q-untagged", {"expires-at": lab.past()})
    lab.queue("billing-q", {"project": "billing", "expires-at": lab.past()})
    lab.table("kindops-lab-t-old", old)
    lab.client("dynamodb").put_item(
        TableName="kindops-lab-t-old", Item={"pk": {"S": "a"}, "v": {"S": "kept in the backup"}}
    )
    lab.table("kindops-lab-t-prot", old, protected=True)
    lab.log_group("/kindops-lab/old", old, retention=14)
    lab.log_group("/kindops-lab/keep", dict(LAB))
    lab.bucket("kindops-lab-b-old", old, objects=3)
    lab.bucket("kindops-lab-b-keep", {**old, "keep": "true"}, objects=1)
    lab.repository("kindops-lab/r", dict(LAB), untagged=2, tagged=3)
    lab.repository("kindops-lab/old-r", old, tagged=1)
    lab.function("kindops-lab-f-old", old)
    lab.function("kindops-lab-f-new", {**LAB, "ttl": "30d"})


def test_apply_deletes_only_what_qualifies_records_recovery_and_restores(lab: Any) -> None:
    _mixed_lab(lab)
    rules = lab.rules(ecr={"untagged_image_max_age_days": 0, "keep_newest_tagged": 2})
    result, doc = lab.run_json("aws", "cleanup", "--apply", "--rules", rules)
    assert result.exit_code == 0, result.stderr
    assert doc["job"] == "aws.cleanup.apply"
    assert doc["data"]["applied"]["failed"] == 0
    assert lab.everything() == {
        "sqs": {
            "kindops-lab-q-keep",
            "kindops-lab-q-bad",
            "kindops-lab-q-new",
            "kindops-lab-q-untagged",
            "billing-q",
        },
        "dynamodb": {"kindops-lab-t-prot"},
        "logs": {"/kindops-lab/keep"},
        "s3": {"kindops-lab-b-keep"},
        "ecr": {"kindops-lab/r"},
        "lambda": {"kindops-lab-f-new"},
    }
    left = lab.images("kindops-lab/r")
    assert len(left) == 2  # the 2 newest tagged; untagged (max age 0) and the 3rd tagged went
    assert all(i.get("imageTags") for i in left)

    audit = lab.audit()
    by_entry: dict[str, list[str]] = {}
    for line in audit:
        by_entry.setdefault(line["entry"], []).append(line["event"])
    assert set(map(tuple, by_entry.values())) == {("recovery-record", "deleted")}
    deleted = {(a["service"], a["name"]) for a in audit if a["event"] == "deleted"}
    assert {n for s, n in deleted if s != "ecr"} == {
        "kindops-lab-q-old",
        "kindops-lab-t-old",
        "/kindops-lab/old",
        "kindops-lab-b-old",
        "kindops-lab-f-old",
    }
    assert sorted(n for s, n in deleted if s == "ecr" and "@" not in n) == ["kindops-lab/old-r"]
    assert len([n for s, n in deleted if s == "ecr" and "@" in n]) == 3
    records = {a["name"]: a for a in audit if a["event"] == "recovery-record"}
    queue = records["kindops-lab-q-old"]["record"]
    assert queue["queue_attributes"]["VisibilityTimeout"] == "45"
    assert queue["tags"]["expires-at"]
    table = records["kindops-lab-t-old"]["record"]
    backup = lab.client("dynamodb").describe_backup(BackupArn=table["backup_arn"])
    assert backup["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert records["/kindops-lab/old"]["record"]["log_group"]["retention_in_days"] == 14
    assert records["kindops-lab-f-old"]["record"]["restorable"] is False

    apply_md = (lab.run_dir() / "apply.md").read_text()
    assert "Planned 9: **deleted 9**, skipped 0, failed 0" in apply_md

    # restore the queue, the table (from its backup) and the log group
    for name in ("kindops-lab-q-old", "kindops-lab-t-old", "/kindops-lab/old"):
        restored = lab.run("aws", "restore", "--audit-entry", records[name]["entry"])
        assert restored.exit_code == 0, restored.stderr
    url = lab.client("sqs").get_queue_url(QueueName="kindops-lab-q-old")["QueueUrl"]
    attrs = lab.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert attrs["Attributes"]["VisibilityTimeout"] == "45"
    tags = lab.client("sqs").list_queue_tags(QueueUrl=url)["Tags"]
    assert tags == {**queue["tags"], "keep": "true"}
    item = lab.client("dynamodb").get_item(TableName="kindops-lab-t-old", Key={"pk": {"S": "a"}})
    assert item["Item"]["v"]["S"] == "kept in the backup"
    group = lab.client("logs").describe_log_groups(logGroupNamePrefix="/kindops-lab/old")
    assert group["logGroups"][0]["retentionInDays"] == 14
    assert {a["event"] for a in lab.audit()} == {"recovery-record", "deleted", "restored"}

    again = lab.run("aws", "restore", "--audit-entry", records["kindops-lab-q-old"]["entry"])
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    not_restorable = lab.run(
        "aws", "restore", "--audit-entry", records["kindops-lab-f-old"]["entry"]
    )
    assert not_restorable.exit_code == 2
    assert "Lambda code is not archived" in not_restorable.stderr
    listed, listing = lab.run_json("aws", "restore", "--list")
    assert listed.exit_code == 0
    entries = {e["name"]: e["restored_at"] is not None for e in listing["data"]["entries"]}
    assert entries == {
        "kindops-lab-q-old": True,
        "kindops-lab-t-old": True,
        "/kindops-lab/old": True,
        "kindops-lab-b-old": False,
        "kindops-lab/old-r": False,
    }

    # a repository and a bucket come back empty, with their tags and settings
    for name in ("kindops-lab/old-r", "kindops-lab-b-old"):
        assert lab.run("aws", "restore", "--audit-entry", records[name]["entry"]).exit_code == 0
    assert lab.images("kindops-lab/old-r") == []
    repo_arn = lab.client("ecr").describe_repositories(repositoryNames=["kindops-lab/old-r"])[
        "repositories"
    ][0]["repositoryArn"]
    repo_tags = lab.client("ecr").list_tags_for_resource(resourceArn=repo_arn)["tags"]
    assert {t["Key"]: t["Value"] for t in repo_tags}["keep"] == "true"
    assert lab.client("s3").list_objects_v2(Bucket="kindops-lab-b-old")["KeyCount"] == 0
    bucket_tags = lab.client("s3").get_bucket_tagging(Bucket="kindops-lab-b-old")["TagSet"]
    assert {t["Key"]: t["Value"] for t in bucket_tags} == {
        **records["kindops-lab-b-old"]["record"]["tags"],
        "keep": "true",
    }

    # restored resources carry keep=true: the next run leaves them alone
    replan = lab.run("aws", "cleanup", "--rules", rules)
    assert replan.exit_code == 0
    resources, _ = _plan_table(json.loads((lab.run_dir() / "plan.json").read_text()))
    assert resources[("sqs", "kindops-lab-q-old")] == ("keep", "keep-tag")
    assert resources[("dynamodb", "kindops-lab-t-old")] == ("keep", "keep-tag")


def _small_lab(lab: Any) -> None:
    old = {**LAB, "expires-at": lab.past()}
    lab.queue("kindops-lab-q-old", old)
    lab.queue("kindops-lab-q-new", {**LAB, "ttl": "7d"})
    lab.table("kindops-lab-t-old", old)
    lab.log_group("/kindops-lab/old", old)


def test_dry_run_is_the_default(lab: Any) -> None:
    _small_lab(lab)
    before = lab.everything()
    result, doc = lab.run_json("aws", "cleanup", "--rules", lab.rules())
    assert result.exit_code == 0
    assert doc["data"]["dry_run"] is True
    assert doc["data"]["totals"]["delete"] == 3
    assert "dry run, nothing deleted" in doc["summary"]
    assert lab.everything() == before
    assert lab.audit() == []


def test_account_not_in_allow_list_refuses_and_deletes_nothing(lab: Any) -> None:
    _small_lab(lab)
    before = lab.everything()
    other = lab.rules("other.yaml", accounts={"allow": ["111111111111"]})
    result = lab.run("aws", "cleanup", "--apply", "--rules", other)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: refusing to delete: account 123456789012 is not in accounts.allow "
        f"[111111111111] of {other}; nothing deleted"
    )
    # a stored plan made with an allowing rules file is refused the same way
    assert lab.run("aws", "cleanup", "--rules", lab.rules()).exit_code == 0
    stored = lab.run("aws", "cleanup", "--apply", "--plan", "run", "--rules", other)
    assert stored.exit_code == 2
    assert lab.everything() == before
    assert lab.audit() == []


def test_region_not_configured_refuses_and_deletes_nothing(lab: Any) -> None:
    old = {**LAB, "expires-at": lab.past()}
    lab.queue("kindops-lab-east", old)
    lab.queue("kindops-lab-west", old, region="eu-west-1")
    result = lab.run("aws", "cleanup", "--apply", "--region", "eu-west-1", "--rules", lab.rules())
    assert result.exit_code == 2
    assert "region eu-west-1 is not in the configured regions [us-east-1]" in result.stderr
    # a plan made over two regions cannot be applied where only one is configured
    both = lab.rules("both.yaml", regions=["us-east-1", "eu-west-1"])
    assert lab.run("aws", "cleanup", "--rules", both).exit_code == 0
    applied = lab.run("aws", "cleanup", "--apply", "--plan", "run", "--rules", lab.rules())
    assert applied.exit_code == 2
    assert "refusing to delete: region eu-west-1" in applied.stderr
    assert lab.queues() == {"kindops-lab-east"}
    assert lab.queues("eu-west-1") == {"kindops-lab-west"}
    assert lab.audit() == []


def test_plan_for_another_account_and_bad_flag_combinations_refuse(lab: Any) -> None:
    lab.queue("kindops-lab-q", {**LAB, "expires-at": lab.past()})
    rules = lab.rules()
    assert lab.run("aws", "cleanup", "--rules", rules).exit_code == 0
    plan_path = lab.run_dir() / "plan.json"
    plan = json.loads(plan_path.read_text())
    plan["account"] = "222222222222"
    plan_path.write_text(json.dumps(plan))
    result = lab.run("aws", "cleanup", "--apply", "--plan", "run", "--rules", rules)
    assert result.exit_code == 2
    assert "the plan is for account 222222222222" in result.stderr
    for args, message in (
        (["--plan", "run"], "--plan takes a stored plan to apply: add --apply"),
        (["--apply", "--as-of", "2030-01-01T00:00:00Z"], "cannot be combined with --apply"),
        (["--as-of", "tomorrow"], "--as-of: 'tomorrow' is not an RFC 3339 time"),
        (["--apply", "--plan", "aws-cleanup/nope/plan.json"], "artifact 'aws-cleanup/nope"),
    ):
        bad = lab.run("aws", "cleanup", "--rules", rules, *args)
        assert bad.exit_code == 2, args
        assert message in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
    assert lab.queues() == {"kindops-lab-q"}


def test_apply_rechecks_each_resource_against_live_state(lab: Any) -> None:
    old = {**LAB, "expires-at": lab.past()}
    for name in (
        "kindops-lab-now-kept",
        "kindops-lab-recreated",
        "kindops-lab-gone",
        "kindops-lab-still-expired",
    ):
        lab.queue(name, old)
    lab.table("kindops-lab-t", old)
    rules = lab.rules()
    assert lab.run("aws", "cleanup", "--rules", rules).exit_code == 0  # the plan

    sqs = lab.client("sqs")
    url = sqs.get_queue_url(QueueName="kindops-lab-now-kept")["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"keep": "true"})
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="kindops-lab-recreated")["QueueUrl"])
    lab.queue("kindops-lab-recreated", old)
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="kindops-lab-gone")["QueueUrl"])
    lab.client("dynamodb").update_table(TableName="kindops-lab-t", DeletionProtectionEnabled=True)

    result, doc = lab.run_json("aws", "cleanup", "--apply", "--plan", "run", "--rules", rules)
    assert result.exit_code == 0, result.stderr
    outcomes = {o["name"]: (o["status"], o["reason"]) for o in doc["data"]["outcomes"]}
    assert outcomes["kindops-lab-now-kept"][0] == "skipped"
    assert outcomes["kindops-lab-now-kept"][1].startswith("no longer qualifies: keep (keep-tag)")
    assert outcomes["kindops-lab-recreated"][0] == "skipped"
    assert outcomes["kindops-lab-recreated"][1].startswith("changed since the plan")
    assert outcomes["kindops-lab-gone"] == ("skipped", "already gone")
    assert outcomes["kindops-lab-t"][0] == "skipped"
    assert "protected (deletion-protection)" in outcomes["kindops-lab-t"][1]
    assert outcomes["kindops-lab-still-expired"][0] == "deleted"
    assert lab.queues() == {"kindops-lab-now-kept", "kindops-lab-recreated"}
    assert lab.tables() == {"kindops-lab-t"}
    assert [a["name"] for a in lab.audit() if a["event"] == "deleted"] == [
        "kindops-lab-still-expired"
    ]


def test_a_preview_at_a_later_time_cannot_delete_early(lab: Any) -> None:
    lab.queue("kindops-lab-ttl", {**LAB, "ttl": "72h"})
    rules = lab.rules()
    later = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert lab.run("aws", "cleanup", "--rules", rules, "--as-of", later).exit_code == 0
    plan = json.loads((lab.run_dir() / "plan.json").read_text())
    assert [i["action"] for i in plan["items"]] == ["delete"]
    result, doc = lab.run_json("aws", "cleanup", "--apply", "--plan", "run", "--rules", rules)
    assert result.exit_code == 0
    assert doc["data"]["outcomes"][0]["status"] == "skipped"
    assert "keep (not-expired)" in doc["data"]["outcomes"][0]["reason"]
    assert lab.queues() == {"kindops-lab-ttl"}


def test_bad_tag_values_are_reported_never_deleted_and_make_the_report_bad(lab: Any) -> None:
    lab.queue("kindops-lab-bad-date", {**LAB, "expires-at": "31/01/2020"})
    lab.table("kindops-lab-bad-ttl", {**LAB, "ttl": "-1d"})
    lab.log_group("/kindops-lab/bad-keep", {**LAB, "keep": "nope", "expires-at": lab.past()})
    rules = lab.rules()
    result, doc = lab.run_json("aws", "cleanup", "--apply", "--rules", rules)
    assert result.exit_code == 0
    assert doc["data"]["applied"]["planned"] == 0
    plan = json.loads((lab.run_dir() / "plan.json").read_text())
    reasons = {i["resource"]["name"]: (i["action"], i["reason"]) for i in plan["items"]}
    assert reasons["kindops-lab-bad-date"] == (
        "invalid-tag",
        "expires-at: '31/01/2020' is not an RFC 3339 time (e.g. "
        "2025-01-31T18:00:00Z) or a date (2025-01-31); never deleted until the tag is fixed",
    )
    assert reasons["kindops-lab-bad-ttl"][0] == "invalid-tag"
    assert reasons["/kindops-lab/bad-keep"][1].startswith("keep: 'nope' is not true or false")
    assert lab.queues() == {"kindops-lab-bad-date"}
    assert lab.tables() == {"kindops-lab-bad-ttl"}
    assert lab.log_groups() == {"/kindops-lab/bad-keep"}
    report, rdoc = lab.run_json("aws", "report")
    assert report.exit_code == 1
    assert "3 resource(s) with unreadable lifecycle tags" in rdoc["summary"]
    md = (lab.run_dir() / "report.md").read_text()
    assert "## What was deleted" in md and "Needs attention: unreadable lifecycle tags" in md
    totals = md.split("### Totals", 1)[1].split("**all**", 1)[0]
    rows = [line.split(" | ")[0] for line in totals.splitlines() if line.count("|") == 3]
    # the plan read back from the store keeps the action order
    assert rows[2:] == [
        "| delete",
        "| protected",
        "| invalid-tag",
        "| report-only",
        "| keep",
        "| ignore",
    ]


def test_report_is_ok_for_a_clean_dry_run(lab: Any) -> None:
    lab.queue("kindops-lab-q", {**LAB, "expires-at": lab.past()})
    assert lab.run("aws", "cleanup", "--rules", lab.rules()).exit_code == 0
    report, doc = lab.run_json("aws", "report")
    assert report.exit_code == 0, report.stderr
    assert doc["summary"] == "dry run: 1 would be deleted"
    assert doc["data"]["applied"] is None
    assert "**Dry run**" in (lab.run_dir() / "report.md").read_text()


def test_unreachable_endpoint_exits_3(lab: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    result = lab.run(
        "aws", "inventory", "--rules", lab.rules(), AWS_ENDPOINT_URL=dead, AWS_MAX_ATTEMPTS="1"
    )
    assert result.exit_code == 3
    assert "AWS endpoint unreachable" in result.stderr


@pytest.mark.integration
def test_the_dag_steps_as_processes(lab: Any, tmp_path: Path) -> None:
    """inventory -> plan -> apply -> report -> budget, each a separate `kindops` process."""
    old = {**LAB, "expires-at": lab.past()}
    lab.queue("kindops-lab-q-old", old)
    lab.log_group("/kindops-lab/old", old)
    lab.queue("kindops-lab-q-keep", {**old, "keep": "true"})
    exe = str(Path(sys.executable).with_name("kindops"))
    env = {
        **os.environ,
        **lab.env,
        "KINDOPS_AWS_RULES": lab.rules(),
        "KINDOPS_RUN_ID": "aws_cleanup/scheduled__2025-06-01T03:00:00+00:00",
    }
    run_key = "aws_cleanup_scheduled__2025-06-01T03_00_00_00_00"
    steps = [
        (["aws", "inventory"], 0, "aws-inventory"),
        (["aws", "cleanup", "--inventory", "inventory.json"], 0, "aws-cleanup"),
        (["aws", "cleanup", "--plan", "plan.json", "--apply"], 0, "aws-cleanup-apply"),
        (["aws", "report"], 0, "aws-report"),
        (["aws", "budget"], 0, "aws-budget"),
    ]
    assert lab.run("aws", "ensure-budgets", "--rules", env["KINDOPS_AWS_RULES"]).exit_code == 0
    for args, code, job_dir in steps:
        assert job_dir
        xcom = tmp_path / f"xcom-{args[1]}.json"
        proc = subprocess.run(
            [exe, *args, "--json"],
            env={**env, "KINDOPS_XCOM_PATH": str(xcom)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == code, (args, proc.stderr)
        doc = json.loads(proc.stdout)
        assert json.loads(xcom.read_text()) == doc
        assert doc["run_key"] == run_key
        assert lab.artifact(f"{job_dir}/{run_key}/result.json").exists()
    folder = lab.artifact(f"aws-cleanup/{run_key}")
    assert sorted(p.name for p in folder.iterdir()) == [
        "apply.json",
        "apply.md",
        "inventory.json",
        "plan.json",
        "plan.md",
        "report.json",
        "report.md",
        "result.json",
    ]
    assert lab.queues() == {"kindops-lab-q-keep"}
    assert lab.log_groups() == set()
    report = (folder / "report.md").read_text()
    assert "Planned 2: **deleted 2**, skipped 0, failed 0" in report
