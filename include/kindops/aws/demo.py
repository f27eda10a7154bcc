"""Seed a realistic mixed lab inventory into a LOCAL AWS-API server (never a real account).

Refuses unless ``AWS_ENDPOINT_URL`` and every client it will use resolve to a loopback
address. Creates, in the first configured region, resources of all six services that exercise
every branch of the rules: expired, not yet expired, ``keep=true``, API-protected, invalid tag
values, env outside the cleanup, lookalikes without the scope tag, and another project's
resources; plus the configured budgets with some spend (the local server does not compute
spend, so it is set through ``CalculatedSpend`` when the budget is created).

Idempotent: existing resources are left as they are (reported ``exists``); budgets are
recreated so the spend given here applies.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from kindops.aws.client import BUDGETS_REGION, Aws, error_code, require_loopback, translated
from kindops.aws.config import Rules

EXISTS_CODES = frozenset(
    {
        "RepositoryAlreadyExistsException",
        "ResourceInUseException",
        "ResourceConflictException",
        "BucketAlreadyOwnedByYou",
        "BucketAlreadyExists",
        "ResourceAlreadyExistsException",
        "QueueAlreadyExists",
        "EntityAlreadyExists",
        "TableAlreadyExistsException",
        "DuplicateRecordException",
        "ImageAlreadyExistsException",
    }
)
DEMO_SERVICES = ["sts", "iam", "ecr", "sqs", "dynamodb", "lambda", "s3", "logs", "budgets"]
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


@dataclass
class Seeded:
    service: str
    name: str
    status: str
    note: str = ""


class Seeder:
    def __init__(self, aws: Aws, rules: Rules, now: datetime) -> None:
        self.aws = aws
        self.rules = rules
        self.region = rules.regions[0]
        self.now = now
        self.seeded: list[Seeded] = []
        t = rules.tags
        env = rules.envs[0] if rules.envs else "demo"
        self.lab = {rules.scope.tag_key: rules.scope.tag_value, t.env: env, "owner": "sre"}
        self.past = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.k = t

    def c(self, service: str) -> Any:
        return self.aws.client(service, BUDGETS_REGION if service == "budgets" else self.region)

    def _do(self, service: str, name: str, note: str, create: Callable[[], object]) -> None:
        with translated(f"seed {service} {name}"):
            try:
                create()
                status = "created"
            except ClientError as exc:
                if error_code(exc) not in EXISTS_CODES:
                    raise
                status = "exists"
        self.seeded.append(Seeded(service, name, status, note))

    # -- per service -------------------------------------------------------------------------
    def ecr(self) -> None:
        k = self.k
        repos = [
            ("kindops-lab/api", dict(self.lab), 2, 12, "no expiry: image hygiene applies"),
            ("kindops-lab/experiment", {**self.lab, k.expires_at: self.past}, 1, 2, "expired"),
            ("kindops-sandbox", {}, 1, 0, "lookalike without the scope tag"),
        ]
        ecr = self.c("ecr")
        for name, tags, untagged, tagged, note in repos:

            def create(name: str = name, tags: dict[str, str] = tags) -> None:
                ecr.create_repository(
                    repositoryName=name, tags=[{"Key": a, "Value": b} for a, b in tags.items()]
                )

            self._do("ecr", name, note, create)
            for n in range(untagged + tagged):
                tag = f"v1.{n - untagged}" if n >= untagged else None
                manifest = _manifest(f"{name}:{n}", 1_000_000 * (n + 1))
                kwargs = {"imageTag": tag} if tag else {}
                with translated(f"seed image {name}"):
                    try:
                        ecr.put_image(repositoryName=name, imageManifest=manifest, **kwargs)
                    except ClientError as exc:
                        if error_code(exc) not in EXISTS_CODES:
                            raise

    def sqs(self) -> None:
        k, sqs = self.k, self.c("sqs")
        queues = [
            (
                "kindops-lab-jobs",
                {**self.lab, k.keep: "true", k.expires_at: self.past},
                "keep=true",
            ),
            ("kindops-lab-scratch", {**self.lab, k.expires_at: self.past}, "expired"),
            ("kindops-lab-events", {**self.lab, k.ttl: "72h"}, "ttl not reached"),
            ("kindops-lab-retry", {**self.lab, k.expires_at: "next friday"}, "invalid expires-at"),
            ("payments-orders", {"project": "payments"}, "another project's queue"),
        ]
        for name, tags, note in queues:

            def create(name: str = name, tags: dict[str, str] = tags) -> None:
                sqs.create_queue(
                    QueueName=name,
                    tags=tags,
                    Attributes={"VisibilityTimeout": "60", "MessageRetentionPeriod": "86400"},
                )

            self._do("sqs", name, note, create)

    def dynamodb(self) -> None:
        k, ddb = self.k, self.c("dynamodb")
        tables = [
            (
                "kindops-lab-orders",
                {**self.lab, k.expires_at: self.past},
                True,
                "expired but DeletionProtectionEnabled",
            ),
            ("kindops-lab-sessions", {**self.lab, k.expires_at: self.past}, False, "expired"),
            ("kindops-lab-cache", {**self.lab, k.ttl: "3 days"}, False, "invalid ttl"),
            (
                "kindops-lab-ledger",
                {**self.lab, k.env: "prod", k.expires_at: self.past},
                False,
                "env outside the cleanup",
            ),
        ]
        for name, tags, protect, note in tables:

            def create(
                name: str = name,
                tags: dict[str, str] = tags,
                protect: bool = protect,
                note: str = note,
            ) -> None:
                ddb.create_table(
                    TableName=name,
                    BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    Tags=[{"Key": a, "Value": b} for a, b in tags.items()],
                    DeletionProtectionEnabled=protect,
                )
                ddb.put_item(TableName=name, Item={"pk": {"S": "demo"}, "note": {"S": note}})

            self._do("dynamodb", name, note, create)

    def lambdas(self) -> None:
        k, fn, iam = self.k, self.c("lambda"), self.c("iam")
        role_name = "kindops-lab-demo-lambda"
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        self._do(
            "iam",
            role_name,
            "execution role for the demo functions",
            lambda: iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust),
        )
        with translated("seed iam role"):
            role = str(iam.get_role(RoleName=role_name)["Role"]["Arn"])
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            archive.writestr("handler.py", HANDLER)
        functions = [
            ("kindops-lab-resizer", {**self.lab, k.expires_at: self.past}, "expired"),
            ("kindops-lab-cron", {**self.lab, k.ttl: "7d"}, "ttl not reached"),
        ]
        for name, tags, note in functions:

            def create(name: str = name, tags: dict[str, str] = tags) -> None:
                fn.create_function(
                    FunctionName=name,
                    Runtime="python3.12",
                    Role=role,
                    Handler="handler.handler",
                    Code={"ZipFile": buf.getvalue()},
                    Tags=tags,
                )

            self._do("lambda", name, note, create)

    def s3(self) -> None:
        k, s3 = self.k, self.c("s3")
        buckets = [
            ("kindops-lab-artifacts-demo", dict(self.lab), False, False, "no expiry"),
            (
                "kindops-lab-scratch-demo",
                {**self.lab, k.expires_at: self.past},
                True,
                False,
                "expired, versioned, not empty",
            ),
            (
                "kindops-lab-evidence-demo",
                {**self.lab, k.expires_at: self.past},
                False,
                True,
                "expired but Object Lock",
            ),
        ]
        for name, tags, versioned, locked, note in buckets:

            def create(
                name: str = name,
                tags: dict[str, str] = tags,
                versioned: bool = versioned,
                locked: bool = locked,
            ) -> None:
                kwargs: dict[str, Any] = {"Bucket": name}
                if self.region != "us-east-1":
                    kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
                if locked:
                    kwargs["ObjectLockEnabledForBucket"] = True
                s3.create_bucket(**kwargs)
                s3.put_bucket_tagging(
                    Bucket=name,
                    Tagging={"TagSet": [{"Key": a, "Value": b} for a, b in tags.items()]},
                )
                if versioned:
                    s3.put_bucket_versioning(
                        Bucket=name, VersioningConfiguration={"Status": "Enabled"}
                    )
                for n in range(3):
                    s3.put_object(Bucket=name, Key=f"reports/{n}.json", Body=b"{}" * 1000 * (n + 1))
                if versioned:
                    s3.put_object(Bucket=name, Key="reports/0.json", Body=b"{}")

            self._do("s3", name, note, create)

    def logs(self) -> None:
        k, logs = self.k, self.c("logs")
        groups = [
            ("/kindops-lab/app", dict(self.lab), 7, "no expiry"),
            ("/kindops-lab/load-test", {**self.lab, k.expires_at: self.past}, 3, "expired"),
            ("/aws/lambda/kindops-lab-resizer", {}, 14, "lookalike without the scope tag"),
            (
                "/kindops-lab/chaos",
                {self.rules.scope.tag_key.capitalize(): self.rules.scope.tag_value},
                7,
                "scope tag key in wrong case",
            ),
        ]
        for name, tags, retention, note in groups:

            def create(
                name: str = name, tags: dict[str, str] = tags, days: int = retention
            ) -> None:
                kwargs: dict[str, Any] = {"logGroupName": name}
                if tags:
                    kwargs["tags"] = tags
                logs.create_log_group(**kwargs)
                logs.put_retention_policy(logGroupName=name, retentionInDays=days)

            self._do("logs", name, note, create)

    def budgets(self, actual: Decimal, forecast: Decimal) -> None:
        account = self.aws.account()
        client = self.c("budgets")
        for spec in self.rules.budgets.budgets:
            with translated(f"seed budget {spec.name}"):
                try:
                    client.delete_budget(AccountId=account, BudgetName=spec.name)
                except ClientError as exc:
                    if error_code(exc) != "NotFoundException":
                        raise
                client.create_budget(
                    AccountId=account,
                    Budget={
                        "BudgetName": spec.name,
                        "BudgetLimit": {"Amount": str(spec.limit_usd), "Unit": "USD"},
                        "TimeUnit": "MONTHLY",
                        "BudgetType": "COST",
                        "CalculatedSpend": {
                            "ActualSpend": {"Amount": str(actual), "Unit": "USD"},
                            "ForecastedSpend": {"Amount": str(forecast), "Unit": "USD"},
                        },
                    },
                )
            self.seeded.append(
                Seeded(
                    "budgets",
                    spec.name,
                    "created",
                    f"limit {spec.limit_usd} USD, actual {actual}, forecast {forecast}",
                )
            )


def _manifest(seed: str, size: int) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1000,
                "digest": f"sha256:{digest}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": size,
                    "digest": f"sha256:{hashlib.sha256(digest.encode()).hexdigest()}",
                }
            ],
        }
    )


def seed(
    aws: Aws,
    rules: Rules,
    now: datetime,
    actual: Decimal = Decimal("3.10"),
    forecast: Decimal = Decimal("4.35"),
) -> tuple[str, list[Seeded]]:
    """Seed the demo inventory; returns the endpoint used and what was seeded."""
    region = rules.regions[0]
    endpoint = require_loopback(aws, DEMO_SERVICES, sorted({region, BUDGETS_REGION}))
    seeder = Seeder(aws, rules, now)
    seeder.ecr()
    seeder.sqs()
    seeder.dynamodb()
    seeder.lambdas()
    seeder.s3()
    seeder.logs()
    seeder.budgets(actual, forecast)
    return endpoint, seeder.seeded
