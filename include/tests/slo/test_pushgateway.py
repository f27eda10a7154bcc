"""The workflow-health metrics on a real Pushgateway, as KindopsJobStale and
KindopsWorkflowFailed read them."""

from __future__ import annotations

import pytest
import requests

from kindops.errors import DependencyError
from kindops.pushgateway import push_job_success, push_task_outcome
from tests.support.servers import Pushgateway, free_port

pytestmark = pytest.mark.integration


def samples(gateway: Pushgateway, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of ``name`` keyed by their sorted labels, ``instance`` left out."""
    return {
        tuple(sorted((k, v) for k, v in s.labels.items() if k != "instance")): s.value
        for s in gateway.pushed(name)
        if s.name == name
    }


def test_task_outcomes_are_kept_per_dag_task_and_the_last_one_wins(
    pushgateway: Pushgateway,
) -> None:
    push_task_outcome(pushgateway.url, "slo_report", "report", failed=True, at=1000.0)
    push_task_outcome(pushgateway.url, "aws_cleanup", "plan", failed=False, at=1100.0)
    key = (("dag_id", "slo_report"), ("job", "kindops-tasks"), ("task_id", "report"))
    other = (("dag_id", "aws_cleanup"), ("job", "kindops-tasks"), ("task_id", "plan"))
    assert samples(pushgateway, "kindops_job_last_run_failed") == {key: 1.0, other: 0.0}
    # the retry succeeds: the same group is updated, the other task is untouched
    push_task_outcome(pushgateway.url, "slo_report", "report", failed=False, at=1200.0)
    assert samples(pushgateway, "kindops_job_last_run_failed") == {key: 0.0, other: 0.0}
    assert samples(pushgateway, "kindops_job_last_run_timestamp_seconds")[key] == 1200.0


def test_job_success_keeps_the_group_other_metrics(pushgateway: Pushgateway) -> None:
    # another metric in the same group (pushed by the job itself) survives the push-add
    requests.post(f"{pushgateway.url}/metrics/job/slo-report", data="kindops_other 7\n", timeout=10)
    push_job_success(pushgateway.url, "slo-report", at=1234.0)
    assert samples(pushgateway, "kindops_job_last_success_timestamp_seconds") == {
        (("job", "slo-report"),): 1234.0
    }
    assert samples(pushgateway, "kindops_other") == {(("job", "slo-report"),): 7.0}


def test_unreachable_gateway_is_a_dependency_error_naming_it() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(DependencyError, match=f"Pushgateway {url} did not take the metrics"):
        push_task_outcome(url, "slo_report", "report", failed=True)
