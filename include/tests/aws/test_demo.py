"""`kindops aws seed-demo`: loopback only, idempotent, and it seeds all six services."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AWS_ENDPOINT_URL": ""}, "AWS_ENDPOINT_URL=(unset) is not a loopback address"),
        # TEST-NET-1 address: refused before any request is made
        ({"AWS_ENDPOINT_URL": "http://192.0.2.10:4566"}, "is not a loopback address"),
        ({"AWS_ENDPOINT_URL": "https://sqs.us-east-1.amazonaws.com"}, "is not a loopback"),
    ],
)
def test_seed_demo_refuses_anything_but_loopback(
    lab: Any, env: dict[str, str], message: str
) -> None:
    result = lab.run("aws", "seed-demo", **env)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert lab.queues() == set()


def test_seed_demo_refuses_a_service_endpoint_that_is_not_loopback(lab: Any) -> None:
    result = lab.run("aws", "seed-demo", AWS_ENDPOINT_URL_SQS="http://192.0.2.10:4566")
    assert result.exit_code == 2
    assert "the sqs client in us-east-1 resolves to http://192.0.2.10:4566" in result.stderr
    assert lab.queues() == set()


def test_seed_demo_is_idempotent_and_covers_every_service(lab: Any) -> None:
    first, doc = lab.run_json("aws", "seed-demo", "--actual-spend", "1", "--forecast-spend", "2")
    assert first.exit_code == 0, first.stderr
    services = {s["service"] for s in doc["data"]["seeded"]}
    assert services == {"ecr", "sqs", "dynamodb", "lambda", "s3", "logs", "iam", "budgets"}
    second, doc = lab.run_json("aws", "seed-demo")
    assert second.exit_code == 0, second.stderr
    statuses = {s["name"]: s["status"] for s in doc["data"]["seeded"]}
    assert statuses["kindops-lab-sessions"] == "exists"
    assert statuses["kindops-lab-monthly-5usd"] == "created"  # budgets are recreated
    assert len(lab.images("kindops-lab/api")) == 14  # images were not pushed twice
    budget, bdoc = lab.run_json("aws", "budget")
    assert budget.exit_code == 1  # 4.35 forecast of 5 USD = 87 %
    assert bdoc["data"]["breached"] == ["kindops-lab-monthly-5usd"]
