"""The lab's endpoints: declared once (kindops.endpoints), in-cluster defaults in a pod only, an
empty value turns one off, and every job reads them from there."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from kindops import endpoints
from kindops.aws.config import AwsSettings
from kindops.backup.config import BackupSettings
from kindops.cost.settings import CostSettings
from kindops.endpoints import IN_CLUSTER, RUNBOOK_BASE_URL, Endpoints
from kindops.errors import ConfigError
from kindops.gameday.settings import GamedaySettings
from kindops.k6.settings import K6Settings
from kindops.settings import KindopsSettings, load
from kindops.slo.jobs import SloSettings

PACKAGE = Path(endpoints.__file__).parent
FIELDS = sorted(Endpoints.model_fields)
SERVICES = sorted(f.removesuffix("_url") for f in FIELDS if f != "runbook_base_url")
JOB_SETTINGS: list[type[KindopsSettings]] = [
    AwsSettings,
    BackupSettings,
    CostSettings,
    GamedaySettings,
    K6Settings,
    SloSettings,
]


@pytest.fixture(autouse=True)
def _no_endpoint_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for field in FIELDS:
        monkeypatch.delenv(endpoints.env_var(field), raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


def test_every_service_has_one_in_cluster_default_and_the_runbooks_one_base() -> None:
    assert sorted(IN_CLUSTER) == SERVICES
    assert [endpoints.env_var(f) for f in FIELDS] == [
        "KINDOPS_ALERTMANAGER_URL",
        "KINDOPS_ARGOCD_URL",
        "KINDOPS_GRAFANA_URL",
        "KINDOPS_OPENCOST_URL",
        "KINDOPS_PROMETHEUS_URL",
        "KINDOPS_PUSHGATEWAY_URL",
        "KINDOPS_RUNBOOK_BASE_URL",
    ]
    assert RUNBOOK_BASE_URL == "https://github.com/kindops-lab/kindops-lab/blob/main/docs/runbooks"


def test_every_field_documents_its_variable() -> None:
    for field, info in Endpoints.model_fields.items():
        assert (info.description or "").startswith(f"``{endpoints.env_var(field)}``"), field
    for field in FIELDS:
        assert f"``{endpoints.env_var(field)}``" in (endpoints.__doc__ or ""), field


def test_on_this_machine_an_unset_endpoint_is_off() -> None:
    found = Endpoints()
    assert {s: getattr(found, f"{s}_url") for s in SERVICES} == dict.fromkeys(SERVICES, "")
    assert found.runbook_base_url == RUNBOOK_BASE_URL


def test_in_a_pod_an_unset_endpoint_is_the_lab_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    found = Endpoints()
    assert {s: getattr(found, f"{s}_url") for s in SERVICES} == dict(IN_CLUSTER)
    assert found.runbook_base_url == RUNBOOK_BASE_URL


def test_a_value_wins_and_empty_turns_an_endpoint_off_in_a_pod_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KINDOPS_PROMETHEUS_URL", "http://127.0.0.1:9090")
    monkeypatch.setenv("KINDOPS_PUSHGATEWAY_URL", "")
    monkeypatch.setenv("KINDOPS_RUNBOOK_BASE_URL", "https://runbooks.example/lab")
    found = Endpoints()
    assert found.prometheus_url == "http://127.0.0.1:9090"
    assert found.pushgateway_url == ""
    assert found.grafana_url == IN_CLUSTER["grafana"]
    assert found.runbook_base_url == "https://runbooks.example/lab"


@pytest.mark.parametrize("cls", JOB_SETTINGS, ids=lambda c: c.__name__)
def test_every_job_reads_the_same_endpoints(
    cls: type[KindopsSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert issubclass(cls, Endpoints)
    assert cls.model_config.get("env_prefix") == "KINDOPS_", "the endpoints' variables"
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    for field in FIELDS:
        assert (
            cls.model_fields[field].default_factory == Endpoints.model_fields[field].default_factory
        ), f"{cls.__name__}.{field}: a default of its own"
        assert cls.model_fields[field].default == Endpoints.model_fields[field].default, field


ENV_READS = {"os.environ.get", "os.getenv", "environ.get", "getenv"}


def endpoint_declarations(path: Path) -> list[str]:
    """Endpoint fields a class declares, and endpoint variables read straight from the env."""
    variables = {endpoints.env_var(f) for f in FIELDS}
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                target = item.target if isinstance(item, ast.AnnAssign) else None
                if isinstance(target, ast.Name) and target.id in FIELDS:
                    found.append(f"{node.name}.{target.id}")
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ENV_READS and node.args:
            key = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
            key = node.slice
        if isinstance(key, ast.Constant) and key.value in variables:
            found.append(f"line {getattr(node, 'lineno', '?')} reads {key.value}")
    return found


def test_no_job_declares_an_endpoint_of_its_own() -> None:
    declared = {
        str(path.relative_to(PACKAGE)): endpoint_declarations(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "endpoints.py"
    }
    assert {p: d for p, d in declared.items() if d} == {}


def test_the_check_sees_a_duplicated_endpoint(tmp_path: Path) -> None:
    job = tmp_path / "job.py"
    job.write_text(
        "import os\n"
        "class JobSettings:\n"
        '    prometheus_url: str = "http://prometheus:9090"\n'
        'URL = os.environ.get("KINDOPS_PUSHGATEWAY_URL", "")\n'
        'HOOK = os.environ["KINDOPS_GRAFANA_URL"]\n'
    )
    assert endpoint_declarations(job) == [
        "JobSettings.prometheus_url",
        "line 4 reads KINDOPS_PUSHGATEWAY_URL",
        "line 5 reads KINDOPS_GRAFANA_URL",
    ]


def test_a_job_that_needs_an_endpoint_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="KINDOPS_PROMETHEUS_URL: Field required"):
        load(SloSettings)
    monkeypatch.setenv("KINDOPS_OPENCOST_URL", "")
    with pytest.raises(ConfigError, match="KINDOPS_OPENCOST_URL: Field required"):
        load(CostSettings)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    with pytest.raises(ConfigError, match="KINDOPS_OPENCOST_URL: Field required"):
        load(CostSettings)  # empty is off in a pod too
    monkeypatch.delenv("KINDOPS_OPENCOST_URL")  # unset in a pod: the lab's services
    assert load(SloSettings).prometheus_url == IN_CLUSTER["prometheus"]
    assert load(CostSettings).opencost_url == IN_CLUSTER["opencost"]


def test_endpoints_are_plain_settings() -> None:
    assert issubclass(Endpoints, BaseSettings)
    assert issubclass(KindopsSettings, Endpoints)
