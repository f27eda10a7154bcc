"""Strict offline validation of Kubernetes manifests and the lab's pod policy."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

ROOT = Path(__file__).resolve().parents[2]


@cache
def tool_versions() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "tools.versions").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pins[key.strip()] = value.strip()
    return pins


def kube_minor() -> str:
    major, minor, *_ = tool_versions()["KUBERNETES_VERSION"].split(".")
    return f"{major}.{minor}"


#: The vendored CRD schemas (tests/schemas/README.md says where they come from).
SCHEMAS = ROOT / "tests" / "schemas"


def crd_schema_root() -> Path:
    """Offline CRD schemas: ``tests/schemas/crds``, or ``$KINDOPS_CRD_SCHEMAS/crds``."""
    configured = os.environ.get("KINDOPS_CRD_SCHEMAS")
    root = Path(configured) if configured else SCHEMAS
    if not (root / "crds").is_dir():
        raise FileNotFoundError(f"CRD schemas not found at {root}/crds (set KINDOPS_CRD_SCHEMAS)")
    return root / "crds"


def _python_patterns(node: Any) -> Any:
    """The schema with Go (RE2) patterns that put a global flag after ``^`` (``^(?i)x``, as the
    operator's CRDs do) rewritten to the equivalent ``(?i)^x`` that Python's ``re`` accepts."""
    if isinstance(node, dict):
        return {
            k: (
                "(?i)^" + v.removeprefix("^(?i)")
                if k == "pattern" and isinstance(v, str) and v.startswith("^(?i)")
                else _python_patterns(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_python_patterns(v) for v in node]
    return node


def crd_schema(group: str, kind: str, version: str) -> dict[str, Any]:
    """One CRD kind's offline JSON schema, ready for jsonschema."""
    path = crd_schema_root() / group / f"{kind.lower()}_{version}.json"
    if not path.exists():
        raise FileNotFoundError(f"no offline schema for {group}/{version} {kind}: {path}")
    schema: dict[str, Any] = _python_patterns(json.loads(path.read_text()))
    return schema


def validate(doc: dict[str, Any]) -> None:
    """Validate one object strictly: core kinds by kubernetes-validate, CRDs by their schema."""
    api_version = str(doc.get("apiVersion", ""))
    group, _, version = api_version.rpartition("/")
    if group and "." in group and not group.endswith(".k8s.io"):
        jsonschema.validate(doc, crd_schema(group, str(doc["kind"]), version))
        return
    kubernetes_validate.validate(doc, kube_minor(), strict=True)


def pod_policy_violations(pod: dict[str, Any]) -> list[str]:
    """The lab's pod policy: pinned images, resources, non-root, read-only root fs, no privilege."""
    spec = pod.get("spec", pod)
    problems: list[str] = []
    pod_sc = spec.get("securityContext") or {}
    for c in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        name = c.get("name", "?")
        image = str(c.get("image", ""))
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if "@sha256:" not in image and (not tag or tag == "latest"):
            problems.append(f"{name}: image {image!r} is not pinned")
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if r not in (res.get(kind) or {}):
                    problems.append(f"{name}: no {kind}.{r}")
        sc = c.get("securityContext") or {}
        if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
            problems.append(f"{name}: runAsNonRoot not set")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
            problems.append(f"{name}: runs as uid 0")
        if not sc.get("readOnlyRootFilesystem"):
            problems.append(f"{name}: root filesystem is writable")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation not false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{name}: capabilities not dropped")
        if sc.get("privileged"):
            problems.append(f"{name}: privileged")
    return problems
