"""The workflow-health metrics on a real Pushgateway, as KindopsJobStale and
KindopsWorkflowFailed read them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from kindops.errors import DependencyError
from kindops.pushgateway import push_job_success, push_task_outcome
from tests.support.servers import free_port, process

pytestmark = pytest.mark.integration


@pytest.fixture()
def gateway(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # the Debian build persists to a shared /var/lib file by default: keep this one private
    args = [
        "/usr/bin/prometheus-pushgateway",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--persistence.file={tmp_path / 'pushgateway.data'}",
    ]
    with process(args, health=f"{url}/-/ready"):
        yield url


def samples(url: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = requests.get(f"{url}/metrics", timeout=10).text
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "instance"))
                out[labels] = sample.value
    return out


def test_task_outcomes_are_kept_per_dag_task_and_the_last_one_wins(gateway: str) -> None:
    push_task_outcome(gateway, "slo_report", "report", failed=True, at=1000.0)
    push_task_outcome(gateway, "aws_cleanup", "plan", failed=False, at=1100.0)
    key = (("dag_id", "slo_report"), ("job", "kindops-tasks"), ("task_id", "report"))
    other = (("dag_id", "aws_cleanup"), ("job", "kindops-tasks"), ("task_id", "plan"))
    assert samples(gateway, "kindops_job_last_run_failed") == {key: 1.0, other: 0.0}
    # the retry succeeds: the same group is updated, the other task is untouched
    push_task_outcome(gateway, "slo_report", "report", failed=False, at=1200.0)
    assert samples(gateway, "kindops_job_last_run_failed") == {key: 0.0, other: 0.0}
    assert samples(gateway, "kindops_job_last_run_timestamp_seconds")[key] == 1200.0


def test_job_success_keeps_the_group_other_metrics(gateway: str) -> None:
    # another metric in the same group (pushed by the job itself) survives the push-add
    requests.post(f"{gateway}/metrics/job/slo-report", data="kindops_other 7\n", timeout=10)
    push_job_success(gateway, "slo-report", at=1234.0)
    assert samples(gateway, "kindops_job_last_success_timestamp_seconds") == {
        (("job", "slo-report"),): 1234.0
    }
    assert samples(gateway, "kindops_other") == {(("job", "slo-report"),): 7.0}


def test_unreachable_gateway_is_a_dependency_error_naming_it() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(DependencyError, match=f"Pushgateway {url} did not take the metrics"):
        push_task_outcome(url, "slo_report", "report", failed=True)
