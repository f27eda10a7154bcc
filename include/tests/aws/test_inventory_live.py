"""Inventory through each service's API; a denied service makes it (and the report) bad."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.support.servers import BIN, free_port, process

pytestmark = pytest.mark.integration

LAB = {"project": "kindops-lab", "env": "dev"}


def test_inventory_lists_every_service_with_tags_age_and_size(lab: Any) -> None:
    lab.queue("kindops-lab-q", {**LAB, "ttl": "7d"})
    lab.table("kindops-lab-t", LAB, protected=True)
    lab.log_group("/kindops-lab/g", LAB, retention=30)
    lab.bucket("kindops-lab-b", LAB, objects=4)
    lab.bucket("other-b", {}, objects=2)
    lab.repository("kindops-lab/r", LAB, untagged=1, tagged=2)
    lab.repository("other/r", {}, tagged=1)
    lab.function("kindops-lab-f", LAB)
    lab.queue("kindops-lab-west", LAB, region="eu-west-1")
    result, doc = lab.run_json("aws", "inventory", "--rules", lab.rules())
    assert result.exit_code == 0, result.stderr
    assert doc["data"]["by_service"] == {
        "dynamodb": 1,
        "ecr": 5,
        "lambda": 1,
        "logs": 1,
        "s3": 2,
        "sqs": 1,
    }
    inventory = json.loads((lab.run_dir() / "inventory.json").read_text())
    found = {(r["kind"], r["name"]): r for r in inventory["resources"]}
    assert ("queue", "kindops-lab-west") not in found  # eu-west-1 is not configured
    queue = found[("queue", "kindops-lab-q")]
    assert queue["tags"] == {**LAB, "ttl": "7d"} and queue["created_at"]
    table = found[("table", "kindops-lab-t")]
    assert table["protection"] == ["DynamoDB DeletionProtectionEnabled"]
    assert table["attributes"]["billing_mode"] == "PAY_PER_REQUEST"
    assert found[("log-group", "/kindops-lab/g")]["attributes"]["retention_in_days"] == 30
    bucket = found[("bucket", "kindops-lab-b")]
    assert (bucket["size_bytes"], bucket["attributes"]["objects"]) == (400, 4)
    assert found[("bucket", "other-b")]["size_bytes"] is None  # not sized: not the lab's
    repo = found[("repository", "kindops-lab/r")]
    assert repo["attributes"]["image_count"] == 3
    images = [r for r in inventory["resources"] if r["kind"] == "image"]
    assert len(images) == 3  # images are listed for lab repositories only
    assert repo["size_bytes"] == sum(i["size_bytes"] for i in images)
    assert found[("function", "kindops-lab-f")]["age_basis"] == "last-modified"
    # both regions when both are configured
    both = lab.rules("both.yaml", regions=["us-east-1", "eu-west-1"])
    _, doc = lab.run_json("aws", "inventory", "--rules", both)
    assert doc["data"]["by_service"]["sqs"] == 2


def test_a_denied_service_makes_the_inventory_incomplete_and_bad(lab: Any) -> None:
    """A second AWS-API server with IAM enforced: the cleaner may not list log groups."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    # the first 4 requests (the setup below) are not authorised; every later one is
    with process(args, env={"INITIAL_NO_AUTH_ACTION_COUNT": "4"}, health=f"{url}/moto-api/"):
        admin = {
            "endpoint_url": url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        iam = boto3.client("iam", **admin)
        iam.create_user(UserName="cleaner")
        iam.put_user_policy(
            UserName="cleaner",
            PolicyName="no-logs",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "*", "Resource": "*"},
                        {"Effect": "Deny", "Action": "logs:DescribeLogGroups", "Resource": "*"},
                    ],
                }
            ),
        )
        key = iam.create_access_key(UserName="cleaner")["AccessKey"]
        boto3.client("sqs", **admin).create_queue(
            QueueName="kindops-lab-q", tags={**LAB, "expires-at": lab.past()}
        )
        env = {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        }
        rules = lab.rules(services=["sqs", "logs", "dynamodb"])
        result, doc = lab.run_json("aws", "inventory", "--rules", rules, **env)
        assert result.exit_code == 1, result.stderr
        assert "INCOMPLETE: 1 service/region listing(s) failed" in doc["summary"]
        assert doc["data"]["errors"] == [
            {
                "service": "logs",
                "region": "us-east-1",
                "code": "AccessDenied",
                "message": "User: arn:aws:iam::123456789012:user/cleaner is not authorized to "
                "perform: logs:DescribeLogGroups",
            }
        ]
        plan = lab.run("aws", "cleanup", "--inventory", "run", "--rules", rules, **env)
        assert plan.exit_code == 0, plan.stderr
        assert "## Inventory incomplete" in (lab.run_dir() / "plan.md").read_text()
        report, rdoc = lab.run_json("aws", "report", **env)
        assert report.exit_code == 1
        assert "inventory incomplete (1 listing(s) failed)" in rdoc["summary"]
