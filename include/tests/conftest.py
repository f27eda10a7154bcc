"""Shared fixtures of the jobs package tests: real local servers from tests/support."""

from __future__ import annotations

import os

from hypothesis import settings

from tests.support.servers import alertmanager, pushgateway  # noqa: F401 (fixtures)

# No wall-clock deadline on property tests: on a shared machine it only adds flakes; speed is
# what `make bench` measures.
settings.register_profile("kindops", deadline=None)
settings.load_profile("kindops")

# The jobs run as on this machine: a CI agent that is itself a pod must not turn their unset
# endpoints into the lab's in-cluster Services (kindops.endpoints); tests that need a pod say so.
os.environ.pop("KUBERNETES_SERVICE_HOST", None)
