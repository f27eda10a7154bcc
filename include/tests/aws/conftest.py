"""Fixtures for the AWS job tests: one real moto server process for the session, reset per test."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from typer.testing import CliRunner, Result

from kindops.cli import app
from tests.support.servers import MotoServer

ACCOUNT = "123456789012"
REGION = "us-east-1"
LAB = {"project": "kindops-lab", "env": "dev"}


def past(days: float = 2) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def future(days: float = 2) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _quiet_logging() -> Iterator[None]:
    yield
    # execute() points the root logger at the runner's (now closed) stderr: detach it.
    logging.getLogger().handlers[:] = []


@dataclass
class Lab:
    """A test's view of the AWS-API server, the artifact store and the CLI."""

    server: MotoServer
    tmp: Path
    env: dict[str, str]
    runner: CliRunner = field(default_factory=CliRunner)

    account: str = ACCOUNT
    region: str = REGION

    @staticmethod
    def past(days: float = 2) -> str:
        return past(days)

    @staticmethod
    def future(days: float = 2) -> str:
        return future(days)

    # -- CLI ---------------------------------------------------------------------------------
    def run(self, *args: str, **env: str) -> Result:
        return self.runner.invoke(app, list(args), env={**self.env, **env})

    def run_json(self, *args: str, **env: str) -> tuple[Result, dict[str, Any]]:
        result = self.run(*args, "--json", **env)
        doc = json.loads(result.stdout) if result.stdout.strip() else {}
        return result, doc

    def rules(self, name: str = "rules.yaml", **overrides: Any) -> str:
        doc: dict[str, Any] = {
            "version": 1,
            "envs": ["dev"],
            "accounts": {"allow": [ACCOUNT]},
            "regions": [REGION],
        }
        doc.update(overrides)
        path = self.tmp / name
        path.write_text(yaml.safe_dump(doc))
        return str(path)

    def artifact(self, key: str) -> Path:
        return Path(self.env["KINDOPS_ARTIFACTS"]) / key

    def run_dir(self) -> Path:
        return self.artifact("aws-cleanup/test_run")

    def audit(self) -> list[dict[str, Any]]:
        path = self.artifact("aws-cleanup/audit.jsonl")
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    # -- AWS ---------------------------------------------------------------------------------
    def client(self, service: str, region: str = REGION) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.server.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def queue(self, name: str, tags: dict[str, str], region: str = REGION) -> str:
        return str(
            self.client("sqs", region).create_queue(
                QueueName=name, tags=tags, Attributes={"VisibilityTimeout": "45"}
            )["QueueUrl"]
        )

    def queues(self, region: str = REGION) -> set[str]:
        urls = self.client("sqs", region).list_queues().get("QueueUrls", [])
        return {u.rsplit("/", 1)[-1] for u in urls}

    def table(self, name: str, tags: dict[str, str], protected: bool = False) -> None:
        ddb = self.client("dynamodb")
        ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            DeletionProtectionEnabled=protected,
        )

    def tables(self) -> set[str]:
        return set(self.client("dynamodb").list_tables()["TableNames"])

    def log_group(self, name: str, tags: dict[str, str], retention: int = 7) -> None:
        logs = self.client("logs")
        kwargs: dict[str, Any] = {"logGroupName": name}
        if tags:
            kwargs["tags"] = tags
        logs.create_log_group(**kwargs)
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention)

    def log_groups(self) -> set[str]:
        return {g["logGroupName"] for g in self.client("logs").describe_log_groups()["logGroups"]}

    def bucket(self, name: str, tags: dict[str, str], objects: int = 0) -> None:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        if tags:
            s3.put_bucket_tagging(
                Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
            )
        for n in range(objects):
            s3.put_object(Bucket=name, Key=f"o/{n}", Body=b"x" * 100)

    def buckets(self) -> set[str]:
        return {b["Name"] for b in self.client("s3").list_buckets()["Buckets"]}

    def repository(
        self, name: str, tags: dict[str, str], untagged: int = 0, tagged: int = 0
    ) -> None:
        ecr = self.client("ecr")
        ecr.create_repository(
            repositoryName=name, tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )
        for n in range(untagged + tagged):
            manifest = json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {
                        "mediaType": "application/vnd.docker.container.image.v1+json",
                        "size": 100,
                        "digest": f"sha256:{n:064x}",
                    },
                    "layers": [
                        {
                            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                            "size": 1000,
                            "digest": f"sha256:{n + 1000:064x}",
                        }
                    ],
                }
            )
            extra = {"imageTag": f"v{n}"} if n >= untagged else {}
            ecr.put_image(repositoryName=name, imageManifest=manifest, **extra)

    def repositories(self) -> set[str]:
        return {
            r["repositoryName"] for r in self.client("ecr").describe_repositories()["repositories"]
        }

    def images(self, repository: str) -> list[dict[str, Any]]:
        return list(self.client("ecr").describe_images(repositoryName=repository)["imageDetails"])

    def function(self, name: str, tags: dict[str, str]) -> None:
        import io
        import zipfile

        iam = self.client("iam")
        try:
            role = iam.get_role(RoleName="test-lambda")["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(RoleName="test-lambda", AssumeRolePolicyDocument="{}")["Role"][
                "Arn"
            ]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            archive.writestr("h.py", "def handler(e, c):\n    return 1\n")
        self.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="h.handler",
            Code={"ZipFile": buf.getvalue()},
            Tags=tags,
        )

    def functions(self) -> set[str]:
        return {f["FunctionName"] for f in self.client("lambda").list_functions()["Functions"]}

    def everything(self) -> dict[str, set[str]]:
        return {
            "sqs": self.queues(),
            "dynamodb": self.tables(),
            "logs": self.log_groups(),
            "s3": self.buckets(),
            "ecr": self.repositories(),
            "lambda": self.functions(),
        }


@pytest.fixture
def lab(moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lab:
    moto_server.reset()
    env = {
        **moto_server.env(),
        "KINDOPS_ARTIFACTS": str(tmp_path / "artifacts"),
        "KINDOPS_RUN_ID": "test/run",
        "KINDOPS_LOG_LEVEL": "WARNING",
        "KINDOPS_AWS_RULES": "",
        "KINDOPS_XCOM_PATH": "",
        "AWS_MAX_ATTEMPTS": "2",
    }
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_")]:
        monkeypatch.delenv(key)
    return Lab(moto_server, tmp_path, env)
