"""How this Airflow deployment runs jobs, read from the environment (no Variables, no I/O).

``KINDOPS_RUNNER``          ``kubernetes`` (default: a pod per task on kind) or ``local``
                            (a subprocess on this machine: laptops, ``airflow dags test``, the demo)
``KINDOPS_JOBS_IMAGE``      the jobs image, pinned (never ``latest``)
``KINDOPS_JOBS_NAMESPACE``  namespace of the task pods
``KINDOPS_JOBS_SA``         their service account (least-privilege RBAC in ``gitops/``)
``KINDOPS_ARTIFACTS_PVC``   the claim mounted at ``/artifacts`` in task pods
"""

from __future__ import annotations

import os
from dataclasses import dataclass

JOBS_IMAGE_DEFAULT = "localhost:5001/kindops-jobs:0.1.0"
RUNNERS = ("kubernetes", "local")


@dataclass(frozen=True)
class RunnerConfig:
    runner: str
    image: str
    namespace: str
    service_account: str
    artifacts_pvc: str
    kubernetes_conn_id: str

    @classmethod
    def from_env(cls) -> RunnerConfig:
        runner = os.environ.get("KINDOPS_RUNNER", "kubernetes").strip().lower()
        if runner not in RUNNERS:
            raise ValueError(f"KINDOPS_RUNNER={runner!r}: expected one of {', '.join(RUNNERS)}")
        image = os.environ.get("KINDOPS_JOBS_IMAGE", JOBS_IMAGE_DEFAULT)
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if "@sha256:" not in image and (not tag or tag == "latest"):
            raise ValueError(f"KINDOPS_JOBS_IMAGE={image!r}: pin a version tag or digest")
        return cls(
            runner=runner,
            image=image,
            namespace=os.environ.get("KINDOPS_JOBS_NAMESPACE", "kindops-jobs"),
            service_account=os.environ.get("KINDOPS_JOBS_SA", "kindops-jobs"),
            artifacts_pvc=os.environ.get("KINDOPS_ARTIFACTS_PVC", "kindops-artifacts"),
            kubernetes_conn_id=os.environ.get("KINDOPS_KUBERNETES_CONN_ID", "kubernetes_default"),
        )
