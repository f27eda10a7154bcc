"""Backup metrics pushed to a Prometheus Pushgateway (``KINDOPS_PUSHGATEWAY_URL``).

Grouping key ``job="config-backup"``; pushed with POST (push-add), so the run's and the verify's
metrics do not erase each other. The ``BackupTooOld`` alert reads
``kindops_backup_last_success_timestamp_seconds``.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Gauge

from kindops.errors import DependencyError
from kindops.pushgateway import push

log = logging.getLogger(__name__)
JOB = "config-backup"

LAST_SUCCESS = "kindops_backup_last_success_timestamp_seconds"
SIZE = "kindops_backup_size_bytes"
OBJECTS = "kindops_backup_objects"
JOB_LAST_SUCCESS = "kindops_job_last_success_timestamp_seconds"
LAST_VERIFIED = "kindops_backup_last_verified_timestamp_seconds"
RUN_METRICS = (LAST_SUCCESS, SIZE, OBJECTS, JOB_LAST_SUCCESS)


def _push(url: str, registry: CollectorRegistry) -> str | None:
    try:
        push(url, JOB, registry)
    except DependencyError as exc:
        log.warning("metrics push failed", extra={"pushgateway": url, "error": exc.message})
        return exc.message
    return None


def push_run(url: str, *, finished: float, size: int, objects: int) -> str | None:
    """Push a successful backup's metrics; returns an error line instead of raising."""
    registry = CollectorRegistry()
    Gauge(LAST_SUCCESS, "Unix time of the last successful config backup.", registry=registry).set(
        finished
    )
    Gauge(SIZE, "Size of the last config backup archive, in bytes.", registry=registry).set(size)
    Gauge(OBJECTS, "Files (objects) in the last config backup archive.", registry=registry).set(
        objects
    )
    Gauge(JOB_LAST_SUCCESS, "Unix time of the job's last success.", registry=registry).set(finished)
    return _push(url, registry)


def push_verified(url: str, *, verified: float) -> str | None:
    registry = CollectorRegistry()
    Gauge(
        LAST_VERIFIED, "Unix time of the last successful backup verification.", registry=registry
    ).set(verified)
    return _push(url, registry)
