"""Shared fixtures of the jobs package tests: real local servers from tests/support."""

from __future__ import annotations

from hypothesis import settings

from tests.support.servers import alertmanager, pushgateway  # noqa: F401 (fixtures)

# No wall-clock deadline on property tests: on a shared machine it only adds flakes; speed is
# what `make bench` measures.
settings.register_profile("kindops", deadline=None)
settings.load_profile("kindops")
