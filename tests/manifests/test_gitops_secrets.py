"""The lab's Secrets: gitops/secrets/README.md lists exactly the Secrets the code references, with
their keys; seal.sh seals exactly that catalog; nothing under gitops/ is a plain Secret.

Where the code references Secrets: the DAGs' `job_task(..., secret_env=...)` (task pods load them
whole with envFrom, in the jobs namespace); the observability Helm values (`existingSecret` and
its `*Key`s, Alertmanager's `configSecret`) and Alertmanager's configuration (`credentials_file`
under /etc/alertmanager/secrets/<secret>/<key>); the app charts rendered with the values of
gitops/values (`secretKeyRef`, `envFrom.secretRef`).

seal.sh runs for real: without kubeseal on PATH, with a value missing, against an unreachable
controller (a closed loopback port), and end to end with the real kubeseal (`.ci/install-tools
kubeseal` builds it into .tools/bin) and a throw-away certificate, decrypting the result again
with the matching private key.
"""

from __future__ import annotations

import ast
import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kindops.localproc import free_port
from kindops_airflow.config import RunnerConfig
from tests.conftest import ROOT
from tests.support.k8s import tool_versions, validate

pytestmark = pytest.mark.integration

SEAL = ROOT / "gitops" / "secrets" / "seal.sh"
README = ROOT / "gitops" / "secrets" / "README.md"
HELM = ROOT / ".tools" / "bin" / "helm"
KUBESEAL = ROOT / ".tools" / "bin" / "kubeseal"
BASH = shutil.which("bash") or "/bin/bash"
AM_SECRETS = "/etc/alertmanager/secrets/"
#: prometheus-operator reads an Alertmanager configSecret's configuration from this key.
AM_CONFIG_KEY = "alertmanager.yaml"

Ref = tuple[str, str]  # (namespace, secret)


# ---- the three views of the same list


def readme_rows() -> list[tuple[str, str, str]]:
    """(namespace/secret, key, source) of every row of the README's table."""
    rows = []
    cell = r"\|\s*`([^`]+)`\s*"
    for line in README.read_text().splitlines():
        match = re.match(cell * 3 + r"\|", line)
        if match:
            rows.append((match[1], match[2], match[3]))
    return rows


def seal(*args: str, env: dict[str, str] | None = None, path: str | None = None) -> Any:
    """Run seal.sh for real, in a clean environment (no kubeconfig of this machine)."""
    base = {
        "PATH": path if path is not None else f"{KUBESEAL.parent}:{os.environ['PATH']}",
        "HOME": "/nonexistent",
        "KUBECONFIG": "/nonexistent/kubeconfig",
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [BASH, str(SEAL), *args],
        env={**base, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@cache
def catalog() -> list[tuple[str, str, str]]:
    proc = seal("--list")
    assert proc.returncode == 0, proc.stderr
    rows = []
    for line in proc.stdout.splitlines():
        ident, key, source = line.split(" ")
        rows.append((ident, key, source))
    return rows


def keys_by_secret(rows: list[tuple[str, str, str]]) -> dict[Ref, set[str]]:
    found: dict[Ref, set[str]] = {}
    for ident, key, _ in rows:
        namespace, _, name = ident.partition("/")
        found.setdefault((namespace, name), set()).add(key)
    return found


# ---- what the code references


def literal_strings(node: ast.AST, assigned: Mapping[str, ast.AST]) -> list[str]:
    if isinstance(node, ast.Name) and node.id in assigned:
        node = assigned[node.id]
    if isinstance(node, ast.Tuple | ast.List):
        values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        assert len(values) == len(node.elts), f"secret_env must be literal: {ast.dump(node)}"
        return [str(v) for v in values]
    raise AssertionError(f"secret_env must be a literal tuple or list: {ast.dump(node)}")


def task_secrets() -> dict[str, set[str]]:
    """Secret name -> the DAG files whose job tasks load it (secret_env=...)."""
    found: dict[str, set[str]] = {}
    for path in sorted([*(ROOT / "dags").glob("*.py"), *(ROOT / "plugins").rglob("*.py")]):
        tree = ast.parse(path.read_text())
        assigned = {
            t.id: n.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            func = call.func
            named = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if named != "job_task":
                continue
            for kw in call.keywords:
                if kw.arg == "secret_env":
                    for name in literal_strings(kw.value, assigned):
                        found.setdefault(name, set()).add(path.name)
    return found


def walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def observability_secrets() -> dict[Ref, set[str]]:
    charts = yaml.safe_load((ROOT / "observability/helm-values/charts.yaml").read_text())
    namespace = charts["namespace"]
    found: dict[Ref, set[str]] = {}
    for chart in charts["charts"]:
        values = yaml.safe_load((ROOT / "observability/helm-values" / chart["values"]).read_text())
        for node in walk(values):
            if not isinstance(node, dict):
                continue
            if node.get("existingSecret"):
                keys = {str(v) for k, v in node.items() if k.endswith("Key")}
                assert keys, f"{chart['values']}: existingSecret without *Key entries"
                found.setdefault((namespace, node["existingSecret"]), set()).update(keys)
            if node.get("configSecret"):
                found.setdefault((namespace, node["configSecret"]), set()).add(AM_CONFIG_KEY)
            for name in node.get("secrets") or []:
                found.setdefault((namespace, name), set())
    config = yaml.safe_load((ROOT / "observability/alertmanager/alertmanager.yaml").read_text())
    for node in walk(config):
        if isinstance(node, str) and node.startswith(AM_SECRETS):
            name, key = node.removeprefix(AM_SECRETS).split("/")
            found.setdefault((namespace, name), set()).add(key)
    return found


def documented_keys(chart: Path, value_key: str) -> set[str]:
    """Keys a chart documents for the Secret named by `value_key` ("(keys A, B)" above it)."""
    lines = (chart / "values.yaml").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{value_key}:"))
    comment: list[str] = []
    for line in reversed(lines[:at]):
        if not line.strip().startswith("#"):
            break
        comment.insert(0, line.strip().lstrip("#").strip())
    match = re.search(r"keys ([A-Z0-9_]+(?:, [A-Z0-9_]+)*)", " ".join(comment))
    assert match, f"{chart}/values.yaml documents no keys for {value_key}"
    return set(match[1].split(", "))


def app_secrets() -> dict[Ref, set[str]]:
    """Secrets the app charts reference, rendered with their gitops values."""
    assert HELM.is_file(), f"{HELM} missing: run `.ci/install-tools helm`"
    found: dict[Ref, set[str]] = {}
    apps = yaml.safe_load((ROOT / "gitops/apps/values.yaml").read_text())["applications"]
    for app in (a for a in apps if str(a.get("path", "")).startswith("charts/")):
        chart = ROOT / app["path"]
        files = [ROOT / f for f in app["valueFiles"]]
        proc = subprocess.run(
            [str(HELM), "template", app["name"], str(chart), "-n", app["namespace"]]
            + ["--kube-version", tool_versions()["KUBERNETES_VERSION"], "--skip-tests"]
            + [arg for f in files for arg in ("-f", str(f))],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        env_from: set[str] = set()
        for node in walk([d for d in yaml.safe_load_all(proc.stdout) if d]):
            if isinstance(node, dict) and isinstance(node.get("secretKeyRef"), dict):
                ref = node["secretKeyRef"]
                found.setdefault((app["namespace"], ref["name"]), set()).add(ref["key"])
            if isinstance(node, dict) and isinstance(node.get("secretRef"), dict):
                env_from.add(node["secretRef"]["name"])
        values = [yaml.safe_load(f.read_text()) for f in files]
        for name in env_from:
            setting = next(
                k
                for v in values
                for n in walk(v)
                if isinstance(n, dict)
                for k, val in n.items()
                if val == name
            )
            found.setdefault((app["namespace"], name), set()).update(
                documented_keys(chart, setting)
            )
    return found


def jobs_namespace(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("KINDOPS_JOBS_NAMESPACE", raising=False)
    monkeypatch.setenv("KINDOPS_RUNNER", "kubernetes")
    return RunnerConfig.from_env().namespace


@cache
def jobs_source() -> str:
    return "\n".join(p.read_text() for p in (ROOT / "include/kindops").rglob("*.py"))


# ---- the list


def test_readme_lists_the_catalog_of_seal_sh() -> None:
    assert readme_rows(), "no table rows in gitops/secrets/README.md"
    assert sorted(readme_rows()) == sorted(catalog())
    assert len(set(catalog())) == len(catalog())


def test_readme_lists_exactly_the_secrets_the_code_references(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documented = keys_by_secret(readme_rows())
    namespace = jobs_namespace(monkeypatch)
    referenced: dict[Ref, set[str] | None] = {(namespace, n): None for n in task_secrets()}
    referenced.update(observability_secrets())
    referenced.update(app_secrets())
    assert set(documented) == set(referenced), (
        f"only in the README: {sorted(set(documented) - set(referenced))}; "
        f"only in the code: {sorted(set(referenced) - set(documented))}"
    )
    for ref, keys in referenced.items():
        if keys is not None:  # the code names the keys: the README has exactly those
            assert documented[ref] == keys, (ref, documented[ref], keys)


def test_task_pod_secret_keys_are_variables_the_jobs_read(monkeypatch: pytest.MonkeyPatch) -> None:
    namespace = jobs_namespace(monkeypatch)
    documented = keys_by_secret(readme_rows())
    loaded = task_secrets()
    assert {"kindops-aws", "kindops-grafana", "kindops-gameday"} <= set(loaded)
    for name in loaded:
        keys = documented[(namespace, name)]
        assert keys, name
        for key in keys:  # envFrom: each key becomes a variable the kindops job must read
            assert re.search(rf"\b{key}\b", jobs_source()), f"{name}: nothing reads {key}"


def test_the_dags_name_the_keys_the_readme_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """A DAG's doc that names its Secret's keys (`kindops-gameday` (`A`, `B`)) agrees."""
    namespace = jobs_namespace(monkeypatch)
    documented = keys_by_secret(readme_rows())
    checked = 0
    for name, dags in task_secrets().items():
        for dag in dags:
            doc = ast.get_docstring(ast.parse((ROOT / "dags" / dag).read_text())) or ""
            flat = " ".join(doc.split())
            match = re.search(rf"`{name}`\s*(?:\(|with )((?:`[A-Z0-9_]+`[, and]*)+)", flat)
            if match:
                named = set(re.findall(r"`([A-Z0-9_]+)`", match[1]))
                assert named == documented[(namespace, name)], (dag, named)
                checked += 1
    assert checked >= 2  # config_backup and monthly_game_day name theirs


def test_the_sealed_folder_is_what_argo_cd_applies() -> None:
    apps = yaml.safe_load((ROOT / "gitops/apps/values.yaml").read_text())["applications"]
    secrets_app = next(a for a in apps if a.get("path") == "gitops/secrets/sealed")
    namespaces = {ident.split("/")[0] for ident, _, _ in catalog()}
    projects = yaml.safe_load((ROOT / "gitops/apps/values.yaml").read_text())["projects"]
    assert namespaces <= set(projects[secrets_app["project"]]["namespaces"])


#: Keys whose string value would be a credential (names of Secrets and of their keys are fine).
SENSITIVE = re.compile(r"(?i)(password|passwd|token|apikey|api_key|accesskey|access_key)$")


def test_no_plain_secret_under_gitops() -> None:
    files = [p for p in (ROOT / "gitops").rglob("*.yaml") if "templates" not in p.parts]
    assert len(files) > 20
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            for node in walk(doc):
                if not isinstance(node, dict):
                    continue
                if node.get("kind") == "Secret":
                    assert not (node.get("data") or node.get("stringData")), f"{path}: plain Secret"
                if node.get("kind") == "SealedSecret":
                    template = node["spec"].get("template") or {}
                    assert not template.get("data"), f"{path}: unsealed data in the template"
                for key, value in node.items():
                    if SENSITIVE.search(str(key)) and isinstance(value, str):
                        assert not value, f"{path}: {key} holds a value"


# ---- seal.sh, for real


def all_values() -> dict[str, str]:
    """A value for every variable of the catalog (long enough for every minimum)."""
    return {
        source.removeprefix("env:"): f"value-of-{source.removeprefix('env:').lower()}-0123456789"
        for _, _, source in catalog()
        if source.startswith("env:")
    }


def tool_farm(tmp_path: Path) -> str:
    """A PATH with what seal.sh needs from the system but kubeseal."""
    farm = tmp_path / "bin"
    farm.mkdir()
    for tool in ("kubectl", "mktemp", "rm", "mv", "mkdir", "chmod", "cat", "grep", "head", "sed"):
        found = shutil.which(tool)
        assert found, tool
        (farm / tool).symlink_to(found)
    for tool in ("sha256sum", "cut", "dirname"):
        found = shutil.which(tool)
        assert found, tool
        (farm / tool).symlink_to(found)
    return str(farm)


def test_seal_fails_in_one_line_without_kubeseal(tmp_path: Path) -> None:
    path = tool_farm(tmp_path)
    assert not any((Path(d) / "kubeseal").exists() for d in path.split(":"))
    out = tmp_path / "sealed"
    proc = seal("--out", str(out), env=all_values(), path=path)
    assert proc.returncode == 3
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("seal.sh: kubeseal not found on PATH"), lines
    assert not out.exists()


def test_seal_fails_in_one_line_on_a_missing_value(tmp_path: Path) -> None:
    values = all_values()
    del values["GRAFANA_ADMIN_PASSWORD"]
    out = tmp_path / "sealed"
    proc = seal("--out", str(out), env=values)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "seal.sh: GRAFANA_ADMIN_PASSWORD is not set "
        "(key admin-password of Secret observability/grafana-admin)"
    ]
    assert not out.exists()


def test_seal_refuses_a_short_token_and_an_unknown_secret(tmp_path: Path) -> None:
    values = {**all_values(), "APP_JAVA_ADMIN_TOKEN": "short"}
    proc = seal("--out", str(tmp_path / "a"), "app-java-admin", env=values)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert "APP_JAVA_ADMIN_TOKEN is too short" in proc.stderr
    proc = seal("--out", str(tmp_path / "b"), "no-such-secret", env=all_values())
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "seal.sh: unknown Secret 'no-such-secret' (seal.sh --list shows the catalog)"
    ]
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_seal_fails_in_one_line_when_the_controller_is_unreachable(tmp_path: Path) -> None:
    assert KUBESEAL.is_file(), f"{KUBESEAL} missing: run `.ci/install-tools kubeseal`"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "kind", "cluster": {"server": f"https://127.0.0.1:{free_port()}"}}
                ],
                "users": [{"name": "kind", "user": {"token": "not-a-real-token"}}],
                "contexts": [{"name": "kind", "context": {"cluster": "kind", "user": "kind"}}],
                "current-context": "kind",
            }
        )
    )
    out = tmp_path / "sealed"
    proc = seal("--out", str(out), env={**all_values(), "KUBECONFIG": str(kubeconfig)})
    assert proc.returncode == 3
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "cannot fetch the sealing certificate" in lines[0], lines
    assert not out.exists()


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throw-away sealing key pair like the controller's (RSA, self-signed certificate)."""
    tmp_path = tmp_path_factory.mktemp("sealing-key")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def unseal(path: Path, key: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [str(KUBESEAL), "--recovery-unseal", "--recovery-private-key", str(key)],
        input=path.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    secret: dict[str, Any] = json.loads(proc.stdout)
    return secret


def test_seal_round_trip_with_the_real_kubeseal(
    tmp_path: Path, key_pair: tuple[Path, Path]
) -> None:
    assert KUBESEAL.is_file(), f"{KUBESEAL} missing: run `.ci/install-tools kubeseal`"
    cert, key = key_pair
    out = tmp_path / "sealed"
    values = all_values()
    proc = seal("--out", str(out), "--cert", str(cert), env=values)
    assert proc.returncode == 0, proc.stderr
    secrets = keys_by_secret(catalog())
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{ns}-{n}.yaml" for ns, n in secrets)
    sources = {(ident, k): src for ident, k, src in catalog()}
    for (namespace, name), keys in secrets.items():
        path = out / f"{namespace}-{name}.yaml"
        text = path.read_text()
        sealed = yaml.safe_load(text)
        validate(sealed)
        assert sealed["kind"] == "SealedSecret"
        assert (sealed["metadata"]["namespace"], sealed["metadata"]["name"]) == (namespace, name)
        assert sealed["metadata"]["labels"]["app.kubernetes.io/part-of"] == "kindops-lab"
        assert set(sealed["spec"]["encryptedData"]) == keys
        secret = unseal(path, key)
        assert (secret["metadata"]["namespace"], secret["metadata"]["name"]) == (namespace, name)
        for key_name, encoded in secret["data"].items():
            plain = base64.b64decode(encoded)
            source = sources[(f"{namespace}/{name}", key_name)]
            if source.startswith("env:"):
                expected = values[source.removeprefix("env:")].encode()
                assert plain == expected, (name, key_name)
            else:
                data = (ROOT / source.removeprefix("file:")).read_bytes()
                assert plain == data, (name, key_name)
                digest = hashlib.sha256(data).hexdigest()
                annotations = sealed["spec"]["template"]["metadata"]["annotations"]
                assert annotations["kindops.io/source-sha256"] == digest
            assert plain.decode() not in text  # nothing readable left in the file
    # one Secret again, the others untouched
    before = {p.name: p.read_text() for p in out.iterdir()}
    proc = seal("--out", str(out), "--cert", str(cert), "grafana-admin", env=values)
    assert proc.returncode == 0, proc.stderr
    after = {p.name: p.read_text() for p in out.iterdir()}
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"observability-grafana-admin.yaml"}
    # an optional key left unset is left out of its Secret
    optional = [(i, k, s) for i, k, s in catalog() if s == "env:GAMEDAY_ARGOCD_TOKEN"]
    assert optional, "the Argo CD token of the game day is optional"
    del values["GAMEDAY_ARGOCD_TOKEN"]
    proc = seal("--out", str(out), "--cert", str(cert), "kindops-jobs/kindops-gameday", env=values)
    assert proc.returncode == 0, proc.stderr
    gameday = yaml.safe_load((out / "kindops-jobs-kindops-gameday.yaml").read_text())
    assert set(gameday["spec"]["encryptedData"]) == secrets[("kindops-jobs", "kindops-gameday")] - {
        "KINDOPS_GAMEDAY_ARGOCD_TOKEN"
    }
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_seal_asks_for_an_unset_value_on_a_terminal(
    tmp_path: Path, key_pair: tuple[Path, Path]
) -> None:
    assert KUBESEAL.is_file(), f"{KUBESEAL} missing: run `.ci/install-tools kubeseal`"
    cert, key = key_pair
    out = tmp_path / "sealed"
    values = all_values()
    del values["GRAFANA_ADMIN_PASSWORD"]
    env = {
        "PATH": f"{KUBESEAL.parent}:{os.environ['PATH']}",
        "HOME": "/nonexistent",
        "KUBECONFIG": "/nonexistent/kubeconfig",
        **values,
    }
    terminal, tty = os.openpty()
    try:
        proc = subprocess.Popen(
            [BASH, str(SEAL), "--out", str(out), "--cert", str(cert), "grafana-admin"],
            stdin=tty,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        os.close(tty)
        os.write(terminal, b"typed-at-the-prompt-0123\n")
        _, stderr = proc.communicate(timeout=120)
    finally:
        os.close(terminal)
    assert proc.returncode == 0, stderr
    assert stderr.startswith(
        "GRAFANA_ADMIN_PASSWORD (admin-password of Secret observability/grafana-admin): "
    )
    assert "typed-at-the-prompt" not in stderr  # not echoed
    secret = unseal(out / "observability-grafana-admin.yaml", key)
    assert base64.b64decode(secret["data"]["admin-password"]) == b"typed-at-the-prompt-0123"
    assert sorted(p.name for p in out.iterdir()) == ["observability-grafana-admin.yaml"]
