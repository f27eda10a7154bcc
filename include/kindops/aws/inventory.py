"""Inventory of the lab's AWS resources, through each service's own API.

The Resource Groups Tagging API misses untagged resources (exactly the lookalikes the plan must
report) and some resource types, so every service is listed with its own paginated calls:

- ECR: DescribeRepositories / DescribeImages, ListTagsForResource; age from createdAt
  (images: push time); size from imageSizeInBytes.
- SQS: ListQueues, GetQueueAttributes (CreatedTimestamp), ListQueueTags.
- DynamoDB: ListTables, DescribeTable (CreationDateTime, TableSizeBytes,
  DeletionProtectionEnabled), ListTagsOfResource.
- Lambda: ListFunctions, ListTags; age from LastModified (Lambda has no creation time).
- S3: ListBuckets (CreationDate), GetBucketLocation, GetBucketTagging, versioning and Object
  Lock; size from a capped object listing.
- CloudWatch Logs: DescribeLogGroups (creationTime, storedBytes, retention, deletion
  protection), ListTagsForResource.

Image lists and bucket sizes are read only for resources carrying the scope tag (cheap for
everything else). Denied or failing calls for one service/region are recorded in the
inventory's ``errors`` and the rest carries on; an unreachable endpoint stops the run (exit 3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from kindops.aws.client import Aws, error_code, error_message, is_not_found, translated
from kindops.aws.config import LoadedRules, Rules
from kindops.aws.model import CollectionError, Inventory, Resource

log = logging.getLogger("kindops.aws.inventory")


def _utc(value: Any) -> datetime | None:
    """datetime (any zone), epoch seconds/milliseconds, or an ISO string -> aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    text = str(value)
    try:
        return _utc(float(text))
    except ValueError:
        pass
    # Lambda: 2019-01-01T00:00:00.000+0000 or ...123456789Z
    text = text.replace("Z", "+00:00")
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    return _utc(datetime.fromisoformat(text))


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _in_scope(tags: dict[str, str], rules: Rules) -> bool:
    return tags.get(rules.scope.tag_key) == rules.scope.tag_value


def _tag_list(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in tags or []}


# -- SQS -------------------------------------------------------------------------------------
def sqs_queue(aws: Aws, region: str, account: str, url: str) -> Resource | None:
    client = aws.client("sqs", region)
    try:
        attrs = dict(
            client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        )
        tags = dict(client.list_queue_tags(QueueUrl=url).get("Tags") or {})
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    arn = str(attrs["QueueArn"])
    return Resource(
        service="sqs",
        kind="queue",
        region=region,
        account=account,
        name=arn.rsplit(":", 1)[-1],
        arn=arn,
        tags=tags,
        created_at=_utc(attrs.get("CreatedTimestamp")),
        attributes={"url": url, "queue_attributes": attrs},
    )


def _sqs(aws: Aws, region: str, account: str, rules: Rules) -> list[Resource]:
    client = aws.client("sqs", region)
    found = []
    for page in client.get_paginator("list_queues").paginate():
        for url in page.get("QueueUrls", []):
            queue = sqs_queue(aws, region, account, str(url))
            if queue is not None:
                found.append(queue)
    return found


def find_queue(aws: Aws, region: str, account: str, name: str) -> Resource | None:
    client = aws.client("sqs", region)
    try:
        url = client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    return sqs_queue(aws, region, account, str(url))


# -- DynamoDB --------------------------------------------------------------------------------
def dynamodb_table(aws: Aws, region: str, account: str, name: str) -> Resource | None:
    client = aws.client("dynamodb", region)
    try:
        table = client.describe_table(TableName=name)["Table"]
        tags: dict[str, str] = {}
        for page in client.get_paginator("list_tags_of_resource").paginate(
            ResourceArn=table["TableArn"]
        ):
            tags.update(_tag_list(page.get("Tags")))
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    if table.get("TableStatus") == "DELETING":
        return None
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    rcu = wcu = 0
    if billing == "PROVISIONED":
        for part in [table, *table.get("GlobalSecondaryIndexes", [])]:
            throughput = part.get("ProvisionedThroughput") or {}
            rcu += int(throughput.get("ReadCapacityUnits", 0))
            wcu += int(throughput.get("WriteCapacityUnits", 0))
    protection = (
        ["DynamoDB DeletionProtectionEnabled"] if table.get("DeletionProtectionEnabled") else []
    )
    return Resource(
        service="dynamodb",
        kind="table",
        region=region,
        account=account,
        name=str(table["TableName"]),
        arn=str(table["TableArn"]),
        tags=tags,
        created_at=_utc(table.get("CreationDateTime")),
        size_bytes=int(table.get("TableSizeBytes", 0)),
        protection=protection,
        attributes={
            "billing_mode": billing,
            "read_capacity_units": rcu,
            "write_capacity_units": wcu,
            "item_count": int(table.get("ItemCount", 0)),
            "status": str(table.get("TableStatus", "")),
        },
    )


def _dynamodb(aws: Aws, region: str, account: str, rules: Rules) -> list[Resource]:
    client = aws.client("dynamodb", region)
    found = []
    for page in client.get_paginator("list_tables").paginate():
        for name in page.get("TableNames", []):
            table = dynamodb_table(aws, region, account, str(name))
            if table is not None:
                found.append(table)
    return found


# -- Lambda ----------------------------------------------------------------------------------
def _function_resource(
    region: str, account: str, cfg: dict[str, Any], tags: dict[str, str]
) -> Resource:
    return Resource(
        service="lambda",
        kind="function",
        region=region,
        account=account,
        name=str(cfg["FunctionName"]),
        arn=str(cfg["FunctionArn"]),
        tags=tags,
        created_at=_utc(cfg.get("LastModified")),
        age_basis="last-modified",
        size_bytes=int(cfg.get("CodeSize", 0)),
        attributes={
            "runtime": cfg.get("Runtime"),
            "package_type": cfg.get("PackageType", "Zip"),
            "code_sha256": cfg.get("CodeSha256"),
            "last_modified": cfg.get("LastModified"),
        },
    )


def lambda_function(aws: Aws, region: str, account: str, name: str) -> Resource | None:
    client = aws.client("lambda", region)
    try:
        got = client.get_function(FunctionName=name)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    return _function_resource(
        region, account, dict(got["Configuration"]), dict(got.get("Tags") or {})
    )


def _lambda(aws: Aws, region: str, account: str, rules: Rules) -> list[Resource]:
    client = aws.client("lambda", region)
    found = []
    for page in client.get_paginator("list_functions").paginate():
        for cfg in page.get("Functions", []):
            try:
                tags = dict(client.list_tags(Resource=cfg["FunctionArn"]).get("Tags") or {})
            except ClientError as exc:
                if is_not_found(exc):
                    continue
                raise
            found.append(_function_resource(region, account, dict(cfg), tags))
    return found


# -- CloudWatch Logs -------------------------------------------------------------------------
def _group_resource(aws: Aws, region: str, account: str, group: dict[str, Any]) -> Resource | None:
    client = aws.client("logs", region)
    arn = str(group.get("logGroupArn") or str(group["arn"]).removesuffix(":*"))
    try:
        tags = dict(client.list_tags_for_resource(resourceArn=arn).get("tags") or {})
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    protection = (
        ["CloudWatch Logs deletion protection"] if group.get("deletionProtectionEnabled") else []
    )
    return Resource(
        service="logs",
        kind="log-group",
        region=region,
        account=account,
        name=str(group["logGroupName"]),
        arn=arn,
        tags=tags,
        created_at=_utc(group.get("creationTime")),
        size_bytes=int(group.get("storedBytes", 0)),
        protection=protection,
        attributes={
            "retention_in_days": group.get("retentionInDays"),
            "kms_key_id": group.get("kmsKeyId"),
            "log_group_class": group.get("logGroupClass"),
        },
    )


def log_group(aws: Aws, region: str, account: str, name: str) -> Resource | None:
    client = aws.client("logs", region)
    for page in client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                return _group_resource(aws, region, account, dict(group))
    return None


def _logs(aws: Aws, region: str, account: str, rules: Rules) -> list[Resource]:
    client = aws.client("logs", region)
    found = []
    for page in client.get_paginator("describe_log_groups").paginate():
        for group in page.get("logGroups", []):
            resource = _group_resource(aws, region, account, dict(group))
            if resource is not None:
                found.append(resource)
    return found


# -- S3 --------------------------------------------------------------------------------------
def _bucket_region(aws: Aws, name: str, listed: dict[str, Any], home: str) -> str | None:
    if listed.get("BucketRegion"):
        return str(listed["BucketRegion"])
    try:
        location = aws.client("s3", home).get_bucket_location(Bucket=name).get("LocationConstraint")
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else str(location)


def _bucket_size(client: Any, name: str, versioned: bool, cap: int) -> tuple[int, bool, int]:
    """(bytes, complete, objects) over at most ``cap`` objects (all versions if versioned)."""
    total = count = 0
    if cap == 0:
        return 0, False, 0
    if versioned:
        pages = client.get_paginator("list_object_versions").paginate(Bucket=name)
        key = "Versions"
    else:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=name)
        key = "Contents"
    for page in pages:
        for obj in page.get(key, []):
            total += int(obj.get("Size", 0))
            count += 1
            if count >= cap:
                return total, False, count
    return total, True, count


def s3_bucket(
    aws: Aws, region: str, account: str, name: str, rules: Rules, created: datetime | None = None
) -> Resource | None:
    client = aws.client("s3", region)
    try:
        try:
            tags = _tag_list(client.get_bucket_tagging(Bucket=name).get("TagSet"))
        except ClientError as exc:
            if error_code(exc) != "NoSuchTagSet":
                raise
            tags = {}
        attributes: dict[str, Any] = {}
        protection: list[str] = []
        size: int | None = None
        complete = True
        if _in_scope(tags, rules):
            versioning = client.get_bucket_versioning(Bucket=name)
            status = str(versioning.get("Status", "Disabled"))
            attributes["versioning"] = status
            if versioning.get("MFADelete") == "Enabled":
                protection.append("S3 MFA delete")
            try:
                lock = client.get_object_lock_configuration(Bucket=name)
                lock_cfg = lock.get("ObjectLockConfiguration") or {}
                if lock_cfg.get("ObjectLockEnabled") == "Enabled":
                    protection.append("S3 Object Lock")
            except ClientError as exc:
                if error_code(exc) != "ObjectLockConfigurationNotFoundError":
                    raise
            size, complete, count = _bucket_size(
                client, name, status != "Disabled", rules.s3.size_scan_max_objects
            )
            attributes["objects"] = count
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    return Resource(
        service="s3",
        kind="bucket",
        region=region,
        account=account,
        name=name,
        arn=f"arn:{_partition(region)}:s3:::{name}",
        tags=tags,
        created_at=created,
        size_bytes=size,
        size_complete=complete,
        protection=protection,
        attributes=attributes,
    )


def _s3(aws: Aws, region: str, account: str, rules: Rules) -> list[Resource]:
    """Buckets whose home region is ``region`` (ListBuckets is global; called per region)."""
    client = aws.client("s3", region)
    found = []
    for page in client.get_paginator("list_buckets").paginate():
        for listed in page.get("Buckets", []):
            name = str(listed["Name"])
            if _bucket_region(aws, name, dict(listed), region) != region:
                continue
            bucket = s3_bucket(aws, region, account, name, rules, _utc(listed.get("CreationDate")))
            if bucket is not None:
                found.append(bucket)
    return found


def find_bucket(aws: Aws, region: str, account: str, name: str, rules: Rules) -> Resource | None:
    client = aws.client("s3", region)
    for page in client.get_paginator("list_buckets").paginate():
        for listed in page.get("Buckets", []):
            if listed["Name"] == name:
                if _bucket_region(aws, name, dict(listed), region) != region:
                    return None
                return s3_bucket(
                    aws, region, account, name, rules, _utc(listed.get("CreationDate"))
                )
    return None


# -- ECR -------------------------------------------------------------------------------------
def ecr_images(aws: Aws, region: str, account: str, repository: dict[str, Any]) -> list[Resource]:
    client = aws.client("ecr", region)
    repo, repo_arn = str(repository["repositoryName"]), str(repository["repositoryArn"])
    images = []
    pages = client.get_paginator("describe_images").paginate(
        repositoryName=repo, registryId=repository.get("registryId", account)
    )
    for page in pages:
        for detail in page.get("imageDetails", []):
            digest = str(detail["imageDigest"])
            images.append(
                Resource(
                    service="ecr",
                    kind="image",
                    region=region,
                    account=account,
                    name=f"{repo}@{digest}",
                    arn=f"{repo_arn}@{digest}",
                    created_at=_utc(detail.get("imagePushedAt")),
                    age_basis="pushed",
                    size_bytes=int(detail.get("imageSizeInBytes", 0)),
                    attributes={
                        "repository": repo,
                        "digest": digest,
                        "image_tags": sorted(str(t) for t in detail.get("imageTags", [])),
                    },
                )
            )
    return images


def _repository(
    aws: Aws, region: str, account: str, repository: dict[str, Any], rules: Rules
) -> list[Resource]:
    """The repository and, when it carries the scope tag, its images."""
    client = aws.client("ecr", region)
    arn = str(repository["repositoryArn"])
    tags = _tag_list(client.list_tags_for_resource(resourceArn=arn).get("tags"))
    images = ecr_images(aws, region, account, repository) if _in_scope(tags, rules) else []
    size = sum(i.size_bytes or 0 for i in images) if images or _in_scope(tags, rules) else None
    repo = Resource(
        service="ecr",
        kind="repository",
        region=region,
        account=account,
        name=str(repository["repositoryName"]),
        arn=arn,
        tags=tags,
        created_at=_utc(repository.get("createdAt")),
        size_bytes=size,
        attributes={"image_count": len(images), "uri": repository.get("repositoryUri")},
    )
    return [repo, *images]


def _ecr(aws: Aws, region: str, account: str, rules: Rules) -> list[Resource]:
    client = aws.client("ecr", region)
    found = []
    for page in client.get_paginator("describe_repositories").paginate():
        for repository in page.get("repositories", []):
            try:
                found.extend(_repository(aws, region, account, dict(repository), rules))
            except ClientError as exc:
                if not is_not_found(exc):
                    raise
    return found


def ecr_repository(aws: Aws, region: str, account: str, name: str, rules: Rules) -> list[Resource]:
    """The repository and its images (empty list when it no longer exists)."""
    client = aws.client("ecr", region)
    try:
        repos = client.describe_repositories(repositoryNames=[name])["repositories"]
        return _repository(aws, region, account, dict(repos[0]), rules)
    except ClientError as exc:
        if is_not_found(exc):
            return []
        raise


# -- whole inventory -------------------------------------------------------------------------
COLLECTORS: dict[str, Callable[[Aws, str, str, Rules], list[Resource]]] = {
    "ecr": _ecr,
    "sqs": _sqs,
    "dynamodb": _dynamodb,
    "lambda": _lambda,
    "s3": _s3,
    "logs": _logs,
}


def collect(aws: Aws, loaded: LoadedRules, regions: list[str] | None = None) -> Inventory:
    rules = loaded.rules
    regions = regions or list(rules.regions)
    account = aws.account()
    resources: list[Resource] = []
    errors: list[CollectionError] = []
    for region in regions:
        for service in rules.services:
            with translated(f"{service} inventory in {region}"):
                try:
                    found = COLLECTORS[service](aws, region, account, rules)
                except ClientError as exc:
                    errors.append(
                        CollectionError(
                            service=service,
                            region=region,
                            code=error_code(exc),
                            message=error_message(exc).splitlines()[0],
                        )
                    )
                    log.warning(
                        "inventory incomplete",
                        extra={"service": service, "region": region, "code": error_code(exc)},
                    )
                    continue
            resources.extend(found)
            log.info(
                "inventoried", extra={"service": service, "region": region, "resources": len(found)}
            )
    return Inventory(
        account=account,
        regions=regions,
        services=list(rules.services),
        collected_at=datetime.now(UTC),
        endpoint=Aws.endpoint(),
        resources=resources,
        errors=errors,
    )


def describe(aws: Aws, resource: Resource, rules: Rules) -> Resource | None:
    """The live state of one (non-image) resource, or None when it is gone."""
    region, account, name = resource.region, resource.account, resource.name
    with translated(f"re-check {resource.service} {name}"):
        if resource.kind == "queue":
            return find_queue(aws, region, account, name)
        if resource.kind == "table":
            return dynamodb_table(aws, region, account, name)
        if resource.kind == "function":
            return lambda_function(aws, region, account, name)
        if resource.kind == "log-group":
            return log_group(aws, region, account, name)
        if resource.kind == "bucket":
            return find_bucket(aws, region, account, name, rules)
        if resource.kind == "repository":
            found = ecr_repository(aws, region, account, name, rules)
            return found[0] if found else None
    raise ValueError(f"describe does not handle {resource.kind}")
