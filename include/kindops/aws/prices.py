"""Estimated monthly cost of one resource, from the documented price table in the rules file.

An estimate for ranking and for the savings line of the report, not a bill: storage is priced
per GB-month (GiB, as AWS bills it), DynamoDB provisioned capacity per unit-hour, queues and
functions at a flat idle figure (see ``aws-rules.yaml`` for each unit and its source).
"""

from __future__ import annotations

from decimal import Decimal

from kindops.aws.config import Prices
from kindops.aws.model import Resource

GIB = Decimal(2**30)


def _gb(size_bytes: int | None) -> Decimal:
    return Decimal(size_bytes or 0) / GIB


def monthly_usd(resource: Resource, prices: Prices) -> Decimal:
    kind = resource.kind
    if kind in ("repository", "image"):
        return _gb(resource.size_bytes) * prices.ecr_storage_usd_per_gb_month
    if kind == "bucket":
        return _gb(resource.size_bytes) * prices.s3_standard_usd_per_gb_month
    if kind == "log-group":
        return _gb(resource.size_bytes) * prices.logs_storage_usd_per_gb_month
    if kind == "table":
        storage = _gb(resource.size_bytes) * prices.dynamodb_storage_usd_per_gb_month
        if resource.attributes.get("billing_mode") != "PROVISIONED":
            return storage
        rcu = Decimal(int(resource.attributes.get("read_capacity_units", 0)))
        wcu = Decimal(int(resource.attributes.get("write_capacity_units", 0)))
        capacity = (
            rcu * prices.dynamodb_rcu_usd_per_hour + wcu * prices.dynamodb_wcu_usd_per_hour
        ) * prices.hours_per_month
        return storage + capacity
    if kind == "queue":
        return prices.sqs_queue_usd_per_month
    if kind == "function":
        return prices.lambda_function_usd_per_month
    return Decimal(0)


def money(value: Decimal) -> float:
    """Round to 1/10,000 USD for documents (cents are shown in Markdown)."""
    return float(value.quantize(Decimal("0.0001")))
