"""Recovery records taken before a delete, and restore from them.

What can come back, and what cannot:

- SQS queue: attributes and tags recorded; restore recreates it (messages are lost).
- DynamoDB table: an on-demand backup is taken first (ARN recorded) with the description,
  tags and TTL setting; restore recreates the table with its items from the backup.
- CloudWatch log group: retention, KMS key, class, tags, metric filters recorded and recreated
  (log events are lost: export them first if they matter).
- ECR repository: settings, tags, lifecycle policy and image list recorded; restore recreates
  the empty repository (image layers are lost).
- S3 bucket: tags, versioning, object count and size recorded; restore recreates the empty
  bucket (objects are lost).
- ECR image, Lambda function: recorded for the audit, not restorable (rebuild/redeploy).
"""

from __future__ import annotations

import json
import time
from typing import Any

from kindops.aws.client import Aws, translated
from kindops.aws.config import Rules
from kindops.aws.model import Resource
from kindops.errors import ConfigError, DependencyError

SQS_WRITABLE = frozenset(
    {
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "Policy",
        "ReceiveMessageWaitTimeSeconds",
        "RedrivePolicy",
        "RedriveAllowPolicy",
        "VisibilityTimeout",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled",
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
    }
)

NOT_RESTORABLE = {
    "image": "ECR image layers are gone once an image is deleted; rebuild and push it",
    "function": "Lambda code is not archived; redeploy the function from its source "
    "(configuration and tags are in this record)",
}


def _plain(value: Any) -> Any:
    """JSON-safe copy (datetimes as ISO strings), without the boto3 ResponseMetadata."""
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "ResponseMetadata"}
    return json.loads(json.dumps(value, default=str))


def _backup_name(entry: str, table: str) -> str:
    name = f"kindops-{entry}-{table}"
    return "".join(ch if ch.isalnum() or ch in "_.-" else "-" for ch in name)[:255]


def capture(aws: Aws, resource: Resource, rules: Rules, entry: str) -> dict[str, Any]:
    """Everything needed to explain (and where possible undo) deleting ``resource``."""
    region, name = resource.region, resource.name
    record: dict[str, Any] = {"restorable": resource.kind not in NOT_RESTORABLE}
    if resource.kind in NOT_RESTORABLE:
        record["restore_note"] = NOT_RESTORABLE[resource.kind]
    with translated(f"recovery record for {resource.kind} {name}"):
        if resource.kind == "queue":
            record["queue_attributes"] = dict(resource.attributes.get("queue_attributes", {}))
            record["tags"] = dict(resource.tags)
        elif resource.kind == "table":
            client = aws.client("dynamodb", region)
            record["table"] = _plain(client.describe_table(TableName=name)["Table"])
            record["tags"] = dict(resource.tags)
            try:
                ttl = client.describe_time_to_live(TableName=name).get("TimeToLiveDescription")
                record["time_to_live"] = _plain(ttl or {})
            except Exception:
                record["time_to_live"] = {}
            backup = client.create_backup(TableName=name, BackupName=_backup_name(entry, name))
            arn = str(backup["BackupDetails"]["BackupArn"])
            record["backup_arn"] = arn
            _wait_backup(client, arn, rules.dynamodb.backup_timeout_seconds)
        elif resource.kind == "log-group":
            client = aws.client("logs", region)
            record["log_group"] = dict(resource.attributes)
            record["tags"] = dict(resource.tags)
            filters = []
            for page in client.get_paginator("describe_metric_filters").paginate(logGroupName=name):
                filters.extend(_plain(page.get("metricFilters", [])))
            record["metric_filters"] = filters
        elif resource.kind == "function":
            got = aws.client("lambda", region).get_function(FunctionName=name)
            record["configuration"] = _plain(got.get("Configuration", {}))
            record["code"] = {
                "sha256": got.get("Configuration", {}).get("CodeSha256"),
                "repository_type": got.get("Code", {}).get("RepositoryType"),
                "image_uri": got.get("Code", {}).get("ImageUri"),
            }
            record["tags"] = dict(got.get("Tags") or {})
        elif resource.kind == "repository":
            client = aws.client("ecr", region)
            repo = client.describe_repositories(repositoryNames=[name])["repositories"][0]
            record["repository"] = _plain(repo)
            record["tags"] = dict(resource.tags)
            try:
                record["lifecycle_policy"] = client.get_lifecycle_policy(repositoryName=name)[
                    "lifecyclePolicyText"
                ]
            except client.exceptions.LifecyclePolicyNotFoundException:
                record["lifecycle_policy"] = None
            images: list[dict[str, Any]] = []
            for page in client.get_paginator("describe_images").paginate(repositoryName=name):
                images.extend(
                    {"digest": d["imageDigest"], "tags": d.get("imageTags", [])}
                    for d in page.get("imageDetails", [])
                )
            record["images_lost"] = images
            record["restore_note"] = "restores the empty repository; image layers are lost"
        elif resource.kind == "bucket":
            record["tags"] = dict(resource.tags)
            record["versioning"] = resource.attributes.get("versioning", "Disabled")
            record["objects_lost"] = resource.attributes.get("objects")
            record["bytes_lost"] = resource.size_bytes
            record["restore_note"] = "restores the empty bucket with tags and versioning"
        elif resource.kind == "image":
            record["image"] = dict(resource.attributes) | {"size_bytes": resource.size_bytes}
    return record


def _wait_backup(client: Any, arn: str, timeout: int) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status = client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
            "BackupStatus"
        ]
        if status == "AVAILABLE":
            return
        if status == "DELETED" or time.monotonic() > deadline:
            raise DependencyError(f"backup {arn} is {status} after {timeout}s; table not deleted")
        time.sleep(2)


def check_restorable(resource: Resource, record: dict[str, Any]) -> None:
    if not record.get("restorable"):
        note = record.get("restore_note") or NOT_RESTORABLE.get(resource.kind, "not restorable")
        raise ConfigError(f"{resource.kind} {resource.name} cannot be restored: {note}")


def restore(
    aws: Aws, resource: Resource, record: dict[str, Any], extra_tags: dict[str, str] | None = None
) -> dict[str, Any]:
    """Recreate ``resource`` from its recovery record; returns what was recreated.

    ``extra_tags`` are added to the recorded tags (restore adds ``keep=true`` by default so the
    next cleanup does not delete the resource again for the same expired tags).
    """
    check_restorable(resource, record)
    record = {**record, "tags": {**record.get("tags", {}), **(extra_tags or {})}}
    region, name = resource.region, resource.name
    with translated(f"restore {resource.kind} {name}"):
        if resource.kind == "queue":
            client = aws.client("sqs", region)
            attrs = {
                k: str(v)
                for k, v in record.get("queue_attributes", {}).items()
                if k in SQS_WRITABLE
            }
            url = client.create_queue(
                QueueName=name, Attributes=attrs, tags=record.get("tags", {})
            )["QueueUrl"]
            return {"queue_url": url}
        if resource.kind == "table":
            client = aws.client("dynamodb", region)
            got = client.restore_table_from_backup(
                TargetTableName=name, BackupArn=record["backup_arn"]
            )
            arn = str(got["TableDescription"]["TableArn"])
            client.get_waiter("table_exists").wait(
                TableName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 300}
            )
            tags = [{"Key": k, "Value": v} for k, v in record.get("tags", {}).items()]
            if tags:
                client.tag_resource(ResourceArn=arn, Tags=tags)
            ttl = record.get("time_to_live") or {}
            if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and ttl.get("AttributeName"):
                client.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={
                        "Enabled": True,
                        "AttributeName": ttl["AttributeName"],
                    },
                )
            return {"table_arn": arn, "from_backup": record["backup_arn"]}
        if resource.kind == "log-group":
            client = aws.client("logs", region)
            group = record.get("log_group", {})
            kwargs: dict[str, Any] = {"logGroupName": name}
            if record.get("tags"):
                kwargs["tags"] = record["tags"]
            if group.get("kms_key_id"):
                kwargs["kmsKeyId"] = group["kms_key_id"]
            if group.get("log_group_class"):
                kwargs["logGroupClass"] = group["log_group_class"]
            client.create_log_group(**kwargs)
            if group.get("retention_in_days"):
                client.put_retention_policy(
                    logGroupName=name, retentionInDays=int(group["retention_in_days"])
                )
            for metric_filter in record.get("metric_filters", []):
                client.put_metric_filter(
                    logGroupName=name,
                    filterName=metric_filter["filterName"],
                    filterPattern=metric_filter.get("filterPattern", ""),
                    metricTransformations=metric_filter["metricTransformations"],
                )
            return {"log_group": name, "retention_in_days": group.get("retention_in_days")}
        if resource.kind == "repository":
            client = aws.client("ecr", region)
            repo = record.get("repository", {})
            kwargs = {
                "repositoryName": name,
                "tags": [{"Key": k, "Value": v} for k, v in record.get("tags", {}).items()],
            }
            for key in (
                "imageTagMutability",
                "imageScanningConfiguration",
                "encryptionConfiguration",
            ):
                if repo.get(key):
                    kwargs[key] = repo[key]
            created = client.create_repository(**kwargs)["repository"]
            if record.get("lifecycle_policy"):
                client.put_lifecycle_policy(
                    repositoryName=name, lifecyclePolicyText=record["lifecycle_policy"]
                )
            return {"repository_arn": created["repositoryArn"], "images_restored": 0}
        if resource.kind == "bucket":
            client = aws.client("s3", region)
            kwargs = {"Bucket": name}
            if region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            client.create_bucket(**kwargs)
            if record.get("tags"):
                client.put_bucket_tagging(
                    Bucket=name,
                    Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in record["tags"].items()]},
                )
            if record.get("versioning") in ("Enabled", "Suspended"):
                client.put_bucket_versioning(
                    Bucket=name, VersioningConfiguration={"Status": record["versioning"]}
                )
            return {"bucket": name, "objects_restored": 0}
    raise ConfigError(f"{resource.kind} {name} cannot be restored")
